using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace S3Router.TrainingService.Jobs;

/// <summary>Ready when the job database answers.</summary>
internal sealed class JobStoreHealthCheck(JobManager manager) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult(manager.Ping()
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The job database gave no answer."));
        }
        catch (Exception ex)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The job database is not reachable.", ex));
        }
    }
}
