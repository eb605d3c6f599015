using S3Router.Core.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(defaultGrpcPort: 50052, defaultMetricsPort: 9452);

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

/// <summary>Entry point; public so functional tests can host it.</summary>
public partial class Program;
