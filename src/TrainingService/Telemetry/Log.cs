using Microsoft.Extensions.Logging;

namespace S3Router.TrainingService.Telemetry;

/// <summary>The training service's log messages, with stable event ids (4000-4099).</summary>
internal static partial class Log
{
    [LoggerMessage(4000, LogLevel.Information, "Training service keeping jobs under {DataDirectory}, running {MaxConcurrentJobs} at a time")]
    public static partial void Started(ILogger logger, string dataDirectory, int maxConcurrentJobs);

    [LoggerMessage(4001, LogLevel.Information, "Job {JobId} ({Kind} {Task}/{Language}) queued")]
    public static partial void JobQueued(ILogger logger, string jobId, string kind, string task, string language);

    [LoggerMessage(4002, LogLevel.Information, "Job {JobId} started in {WorkDirectory}")]
    public static partial void JobStarted(ILogger logger, string jobId, string workDirectory);

    [LoggerMessage(4003, LogLevel.Information, "Job {JobId} succeeded: {OutputPath}")]
    public static partial void JobSucceeded(ILogger logger, string jobId, string outputPath);

    [LoggerMessage(4004, LogLevel.Warning, "Job {JobId} failed: {Error}")]
    public static partial void JobFailed(ILogger logger, string jobId, string error, Exception? exception);

    [LoggerMessage(4005, LogLevel.Information, "Job {JobId} cancelled (was {State})")]
    public static partial void JobCancelled(ILogger logger, string jobId, string state);

    [LoggerMessage(4006, LogLevel.Information, "Job {JobId} interrupted by shutdown at step {Step}; it resumes from its checkpoint on the next start")]
    public static partial void JobInterrupted(ILogger logger, string jobId, long step);

    [LoggerMessage(4007, LogLevel.Information, "Job {JobId} was running when the worker stopped; queued again to resume from step {CheckpointStep}")]
    public static partial void JobRequeued(ILogger logger, string jobId, long checkpointStep);

    [LoggerMessage(4008, LogLevel.Information, "Job {JobId} published {Task}/{Language} version {Version} ({Digest})")]
    public static partial void JobPublished(ILogger logger, string jobId, string task, string language, long version, string digest);

    [LoggerMessage(4009, LogLevel.Warning, "Could not write progress of job {JobId} to the job database")]
    public static partial void ProgressNotPersisted(ILogger logger, string jobId, Exception exception);
}
