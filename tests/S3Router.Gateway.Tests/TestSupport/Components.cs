using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using S3Router.Core.Hosting;
using S3Router.Gateway.Resilience;
using S3Router.Gateway.Routing;
using S3Router.Gateway.Telemetry;

namespace S3Router.Gateway.Tests.TestSupport;

/// <summary>Gateway parts built by hand (no host) for unit tests.</summary>
internal static class Components
{
    public static EndpointSet EndpointSet(GatewayOptions? options = null, TimeProvider? time = null)
    {
        var o = Options.Create(options ?? new GatewayOptions());
        var metrics = new GatewayMetrics();
        var resilience = new GatewayResilience(o, metrics, time ?? TimeProvider.System, NullLogger<GatewayResilience>.Instance);
        var factory = new EndpointFactory(o, Options.Create(new ServiceDefaultsOptions()), resilience, metrics, time ?? TimeProvider.System);
        return new EndpointSet(factory, o, metrics, NullLogger<EndpointSet>.Instance);
    }
}
