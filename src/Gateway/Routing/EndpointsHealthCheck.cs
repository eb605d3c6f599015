using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace S3Router.Gateway.Routing;

/// <summary>Ready when some inference endpoint is known and not cut off by its circuit; degraded when all are.</summary>
internal sealed class EndpointsHealthCheck(EndpointSet endpoints) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var all = endpoints.Endpoints;
        var healthy = all.Count(e => !e.IsOpen);
        return Task.FromResult(all.Count == 0
            ? HealthCheckResult.Unhealthy("No inference endpoint is known.")
            : healthy == 0
                ? HealthCheckResult.Degraded($"All {all.Count} inference endpoints have an open circuit.")
                : HealthCheckResult.Healthy($"{healthy} of {all.Count} inference endpoints healthy."));
    }
}
