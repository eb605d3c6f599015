using S3Router.Core.Hosting;
using S3Router.InferenceService.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(defaultGrpcPort: 50052, defaultMetricsPort: 9452);
builder.AddInferenceServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapInference();
app.Run();

/// <summary>Entry point; public so functional tests can host it.</summary>
public partial class Program;
