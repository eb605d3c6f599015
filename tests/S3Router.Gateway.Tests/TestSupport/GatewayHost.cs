using Grpc.Net.Client;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using S3Router.Api.V1;
using S3Router.Core.Hosting;
using S3Router.Gateway.Extensions;
using S3Router.Gateway.Routing;

namespace S3Router.Gateway.Tests.TestSupport;

/// <summary>The gateway on real Kestrel on loopback, wired exactly as Program.cs does, with a client to it.</summary>
internal sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayHost(WebApplication app, int grpcPort, int metricsPort)
    {
        _app = app;
        MetricsPort = metricsPort;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Client = new Speech.SpeechClient(Channel);
    }

    /// <summary>Port of the HTTP/1 endpoint serving /metrics.</summary>
    public int MetricsPort { get; }

    public GrpcChannel Channel { get; }

    public Speech.SpeechClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public EndpointSet Endpoints => Services.GetRequiredService<EndpointSet>();

    /// <summary>Starts a gateway in front of <paramref name="backends"/> with test-friendly resilience settings.</summary>
    public static Task<GatewayHost> StartAsync(IEnumerable<FakeBackend> backends, IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Gateway:RetryBaseDelay"] = "00:00:00.001",
            ["Gateway:CircuitMinimumThroughput"] = "2",
            ["Gateway:CircuitSamplingDuration"] = "00:01:00",
            ["Gateway:CircuitBreakDuration"] = "00:05:00",
        };
        var i = 0;
        foreach (var backend in backends)
        {
            all[$"Gateway:Endpoints:{i++}"] = backend.Address;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return StartAsync(all);
    }

    public static async Task<GatewayHost> StartAsync(IDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        // A port found free can be taken by a parallel test before Kestrel binds it: try again with new ones.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryStartAsync(settings, services);
            }
            catch (IOException ex) when (ex.InnerException is AddressInUseException && attempt < 5)
            {
            }
        }
    }

    private static async Task<GatewayHost> TryStartAsync(IDictionary<string, string?> settings, Action<IServiceCollection>? services)
    {
        var grpcPort = FreePort.Next();
        var metricsPort = FreePort.Next();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration["Service:ListenAddress"] = "127.0.0.1";
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        builder.AddServiceDefaults(grpcPort, metricsPort);
        builder.AddGatewayServices();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGateway();
        try
        {
            await app.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new GatewayHost(app, grpcPort, metricsPort);
    }

    /// <summary>The backend that owns <paramref name="routeKey"/> on the ring, then its fallbacks.</summary>
    public IReadOnlyList<string> OrderOf(string routeKey) => Endpoints.Order(routeKey).Select(e => e.Address).ToArray();

    public InferenceEndpoint EndpointOf(FakeBackend backend) => Endpoints.Endpoints.Single(e => e.Address == backend.Address);

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.DisposeAsync();
    }
}
