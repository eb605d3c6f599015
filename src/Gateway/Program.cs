using S3Router.Core.Hosting;
using S3Router.Gateway.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults(defaultGrpcPort: 50051, defaultMetricsPort: 9451);
builder.AddGatewayServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGateway();
app.Run();

/// <summary>Entry point; public so functional tests can host it.</summary>
public partial class Program;
