using S3Router.Core.Hosting;
using S3Router.MaskRegistry.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(defaultGrpcPort: 50053, defaultMetricsPort: 9453);
builder.AddMaskRegistryServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapMaskRegistry();
app.Run();

/// <summary>Entry point; public so functional tests can host it.</summary>
public partial class Program;
