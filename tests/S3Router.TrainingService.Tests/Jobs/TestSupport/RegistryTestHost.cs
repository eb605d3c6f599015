using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using S3Router.Core.Hosting;
using S3Router.MaskRegistry.Extensions;

namespace S3Router.TrainingService.Tests.Jobs.TestSupport;

/// <summary>The real mask registry (SQLite + blob folder, real bundle inspection) on loopback Kestrel.</summary>
internal sealed class RegistryTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RegistryTestHost(WebApplication app, int grpcPort)
    {
        _app = app;
        Address = $"http://127.0.0.1:{grpcPort}";
        Channel = GrpcChannel.ForAddress(Address);
        Client = new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(Channel);
    }

    public string Address { get; }

    public GrpcChannel Channel { get; }

    public S3Router.Api.V1.MaskRegistry.MaskRegistryClient Client { get; }

    public static async Task<RegistryTestHost> StartAsync(string dataDirectory)
    {
        var grpcPort = TrainingHost.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration["Service:ListenAddress"] = "127.0.0.1";
        builder.Configuration["MaskRegistry:DataDirectory"] = dataDirectory;
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults(grpcPort, TrainingHost.FreePort());
        builder.AddMaskRegistryServices();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapMaskRegistry();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new RegistryTestHost(app, grpcPort);
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.DisposeAsync();
    }
}
