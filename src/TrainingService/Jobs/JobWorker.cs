using Microsoft.Extensions.Options;
using S3Router.TrainingService.Telemetry;

namespace S3Router.TrainingService.Jobs;

/// <summary>
/// Takes jobs off the queue and runs them, <see cref="TrainingServiceOptions.MaxConcurrentJobs"/> at a time. On
/// shutdown the running jobs are stopped and left RUNNING, so the next start resumes them from their checkpoints.
/// </summary>
internal sealed class JobWorker(JobManager manager, JobQueue queue, JobExecutor executor, IOptions<TrainingServiceOptions> options, ILogger<JobWorker> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.MaxConcurrentJobs)
            .Select(_ => Task.Run(() => LoopAsync(stoppingToken), CancellationToken.None)));

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var jobId in queue.ReadAllAsync(stoppingToken))
            {
                await RunAsync(jobId, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task RunAsync(string jobId, CancellationToken stoppingToken)
    {
        if (stoppingToken.IsCancellationRequested || manager.TryStart(jobId) is not { } start)
        {
            return;
        }

        var (job, jobCancellation, workDirectory) = start;

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(jobCancellation, stoppingToken);
        var context = new JobRunContext(jobId, workDirectory, progress => manager.ReportProgress(jobId, progress));
        try
        {
            var result = await executor.ExecuteAsync(job.Spec, context, linked.Token);
            manager.Succeed(jobId, result);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            if (jobCancellation.IsCancellationRequested)
            {
                manager.MarkCancelled(jobId);
            }
            else
            {
                manager.Interrupt(jobId);
            }
        }
        catch (Exception ex)
        {
            try
            {
                manager.Fail(jobId, JobExecutor.Describe(ex), ex);
            }
            catch (Exception recordError)
            {
                // The database is gone: the job stays RUNNING and is retried on the next start.
                Log.JobFailed(logger, jobId, JobExecutor.Describe(recordError), recordError);
            }
        }
    }
}
