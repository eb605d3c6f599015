using System.Net;

namespace S3Router.Gateway.Routing;

/// <summary>Resolves a DNS name to addresses; a seam so tests can move pods without a DNS server.</summary>
internal interface IHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}
