using S3Router.Core.Hosting;
using S3Router.TrainingService.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(defaultGrpcPort: 50054, defaultMetricsPort: 9454);
builder.AddTrainingServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapTraining();
app.Run();

/// <summary>Entry point; public so functional tests can host it.</summary>
public partial class Program;
