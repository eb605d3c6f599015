using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Hosting;

namespace S3Router.TrainingService.Jobs;

/// <summary>
/// Runs one job to its end: the runner (on a pool thread, it is CPU-bound), gives the memory it leaves behind back to
/// the OS, then publishes when the spec asks for it.
/// </summary>
internal sealed class JobExecutor(IJobRunner runner, BundlePublisher publisher)
{
    public async Task<JobResult> ExecuteAsync(JobSpec spec, JobRunContext context, CancellationToken cancellationToken)
    {
        JobResult result;
        try
        {
            result = await Task.Run(() => runner.RunAsync(spec, context, cancellationToken), cancellationToken);
        }
        finally
        {
            // A worker lives on after its job: the job's features, batches and model die now and would otherwise stay
            // resident until a compacting collection happened to run.
            ResidentMemory.Settle(trimNative: true);
        }

        if (spec.Publish?.Publish == true)
        {
            result.Published = await publisher.PublishAsync(context.JobId, spec, result.OutputPath, cancellationToken);
        }

        return result;
    }

    /// <summary>The message a failed job records: ours as they are, anything else with its type.</summary>
    public static string Describe(Exception exception) =>
        exception is S3RouterException ? exception.Message : $"{exception.GetType().Name}: {exception.Message}";
}
