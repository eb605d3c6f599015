using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using S3Router.Core.Hosting;

namespace S3Router.Testing;

/// <summary>
/// One S3Router service on real Kestrel on 127.0.0.1, built like its Program.cs (service defaults, then the
/// service's own Add*/Map* calls) on free gRPC and metrics ports, with a <see cref="GrpcChannel"/> to it.
/// </summary>
public sealed class LoopbackService : IAsyncDisposable
{
    private const int Attempts = 5;
    private readonly WebApplication _app;

    private LoopbackService(WebApplication app, int grpcPort, int metricsPort)
    {
        _app = app;
        MetricsPort = metricsPort;
        Address = $"http://127.0.0.1:{grpcPort}";
        Channel = GrpcChannel.ForAddress(Address);
    }

    /// <summary>The gRPC endpoint, <c>http://127.0.0.1:PORT</c> (h2c).</summary>
    public string Address { get; }

    /// <summary>Port of the HTTP/1 endpoint serving <c>/metrics</c>.</summary>
    public int MetricsPort { get; }

    /// <summary>A channel to <see cref="Address"/>, disposed with the service.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>The running service's container.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Builds and starts the service in the Production environment with logging off. <paramref name="settings"/> go
    /// into configuration; <paramref name="addServices"/> runs after the service defaults (e.g. <c>AddMaskRegistryServices</c>,
    /// after any test doubles it should not replace), <paramref name="map"/> after the default endpoints.
    /// </summary>
    public static async Task<LoopbackService> StartAsync(
        IEnumerable<KeyValuePair<string, string?>> settings, Action<WebApplicationBuilder> addServices, Action<WebApplication> map,
        CancellationToken cancellationToken)
    {
        // A port found free can be taken by a parallel test before Kestrel binds it: try again with new ones.
        for (var attempt = 1; ; attempt++)
        {
            var grpcPort = LoopbackPort.Free();
            var metricsPort = LoopbackPort.Free();
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
            builder.Configuration["Service:ListenAddress"] = "127.0.0.1";
            foreach (var (key, value) in settings)
            {
                builder.Configuration[key] = value;
            }

            builder.Logging.ClearProviders();
            builder.AddServiceDefaults(grpcPort, metricsPort);
            addServices(builder);
            var app = builder.Build();
            app.MapDefaultEndpoints();
            map(app);
            try
            {
                await app.StartAsync(cancellationToken);
                return new LoopbackService(app, grpcPort, metricsPort);
            }
            catch (IOException ex) when (ex.InnerException is AddressInUseException && attempt < Attempts)
            {
                await app.DisposeAsync();
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools(); // pooled SQLite handles would keep the services' data folders open
    }
}
