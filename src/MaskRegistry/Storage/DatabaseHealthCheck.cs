using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace S3Router.MaskRegistry.Storage;

/// <summary>Ready when the metadata database answers (and its schema is in place).</summary>
internal sealed class DatabaseHealthCheck(IRegistryRepository repository) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await repository.PingAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The registry database gave no answer.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The registry database is not reachable.", ex);
        }
    }
}
