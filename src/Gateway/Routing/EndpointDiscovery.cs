using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using S3Router.Gateway.Telemetry;

namespace S3Router.Gateway.Routing;

/// <summary>
/// Fills the <see cref="EndpointSet"/>: once from the static list, or from a DNS name (a Kubernetes headless
/// service) resolved at start and again every <see cref="GatewayOptions.DnsRefreshInterval"/>. A failed resolution
/// keeps the endpoints already known rather than dropping all traffic.
/// </summary>
internal sealed class EndpointDiscovery(
    EndpointSet endpoints, IHostResolver resolver, IOptions<GatewayOptions> options, TimeProvider time, ILogger<EndpointDiscovery> logger)
    : BackgroundService
{
    private readonly GatewayOptions _options = options.Value;

    private bool UsesDns => !string.IsNullOrWhiteSpace(_options.DnsName);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (UsesDns)
        {
            Log.Started(logger, $"DNS name {_options.DnsName}:{_options.DnsPort}, re-resolved every {_options.DnsRefreshInterval}");
            await RefreshAsync(cancellationToken);
        }
        else
        {
            var list = _options.Endpoints.Count == 0 ? [GatewayOptions.DefaultEndpoint] : _options.Endpoints;
            var addresses = list.Select(e => GatewayOptions.TryNormalizeAddress(e, out var a) ? a : e).ToArray();
            Log.Started(logger, $"static endpoints {string.Join(", ", addresses)}");
            endpoints.Update(addresses);
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!UsesDns)
        {
            return;
        }
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(_options.DnsRefreshInterval, time, stoppingToken);
                await RefreshAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    /// <summary>Resolves the DNS name once and updates the set; keeps the old set when resolution fails or returns nothing.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var ips = await resolver.ResolveAsync(_options.DnsName!, cancellationToken);
            if (ips.Length == 0)
            {
                throw new SocketException((int)SocketError.HostNotFound);
            }
            endpoints.Update(ips.Select(ip => AddressOf(ip, _options.DnsPort)));
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            Log.DnsFailed(logger, _options.DnsName!, endpoints.Endpoints.Count, ex);
        }
    }

    private static string AddressOf(IPAddress ip, int port) =>
        ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"http://[{ip}]:{port}" : $"http://{ip}:{port}";
}
