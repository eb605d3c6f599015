using S3Router.Api.V1;

namespace S3Router.TrainingService.Jobs;

/// <summary>
/// Runs one training job to its end in the calling process. The job service (queue, persistence, publishing) and
/// the standalone <c>s3r train run</c> both drive jobs through this.
/// </summary>
public interface IJobRunner
{
    /// <summary>
    /// Trains, evaluates and writes the job's output under <see cref="JobRunContext.WorkDirectory"/>. Checkpoints go
    /// there too, and a call with a work directory that holds a checkpoint resumes from it. Checks
    /// <paramref name="cancellationToken"/> once per step and then throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <returns>Test metrics and the output path (the bundle file for mask/prune/head jobs, a model dir for weights).</returns>
    Task<JobResult> RunAsync(JobSpec spec, JobRunContext context, CancellationToken cancellationToken);
}
