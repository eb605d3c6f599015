using S3Router.Api.V1;
using S3Router.Core.Errors;

namespace S3Router.TrainingService.Jobs;

/// <summary>Runs one job to its end: the runner (on a pool thread, it is CPU-bound), then publishing when the spec asks for it.</summary>
internal sealed class JobExecutor(IJobRunner runner, BundlePublisher publisher)
{
    public async Task<JobResult> ExecuteAsync(JobSpec spec, JobRunContext context, CancellationToken cancellationToken)
    {
        var result = await Task.Run(() => runner.RunAsync(spec, context, cancellationToken), cancellationToken);
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
