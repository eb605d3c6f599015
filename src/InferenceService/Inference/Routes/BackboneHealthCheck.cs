using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>Readiness: healthy once the backbone is loaded and its base session built.</summary>
internal sealed class BackboneHealthCheck(BackboneHost backbone) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(backbone.IsReady
            ? HealthCheckResult.Healthy("backbone loaded")
            : HealthCheckResult.Unhealthy("backbone loading"));
}
