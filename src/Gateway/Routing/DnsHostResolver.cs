using System.Net;

namespace S3Router.Gateway.Routing;

/// <summary>The system resolver (a Kubernetes headless service returns one A record per ready pod).</summary>
internal sealed class DnsHostResolver : IHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);
}
