using Microsoft.Extensions.Logging;

namespace S3Router.TrainingService.Training;

/// <summary>Log messages of the training engine (event ids 6000-6099).</summary>
internal static partial class TrainingLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Job {JobId} ({Kind}) starts: {TrainCount} training utterances, {Labels} labels, {MaxSteps} steps")]
    public static partial void JobStarting(ILogger logger, string jobId, string kind, int trainCount, int labels, long maxSteps);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Job {JobId} resumes from the checkpoint at step {Step}")]
    public static partial void Resumed(ILogger logger, string jobId, long step);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Job {JobId} skips {Count} training utterances longer than max_tokens or without transcript")]
    public static partial void SkippedUtterances(ILogger logger, string jobId, int count);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "Job {JobId} step {Step}: {Metrics}")]
    public static partial void Evaluated(ILogger logger, string jobId, long step, string metrics);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "Job {JobId} finished: output {OutputPath}")]
    public static partial void Finished(ILogger logger, string jobId, string outputPath);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Job {JobId}: k-means targets, {Clusters} clusters fitted on {Frames} frames of {Utterances} utterances ({Targets})")]
    public static partial void TargetsFitted(ILogger logger, string jobId, int clusters, int frames, int utterances, string targets);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "Job {JobId}: frozen backbone features of {Done}/{Total} {Split} utterances computed")]
    public static partial void CachingFeatures(ILogger logger, string jobId, int done, int total, string split);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "Job {JobId}: the training set's features take {HalfMiB} MiB as float16 ({SingleMiB} MiB as float32), over the cache budget of {BudgetMiB} MiB; the frozen backbone runs every step, 20-40 times slower (S3R_FEATURE_CACHE_MIB={HalfMiB} or more caches them)")]
    public static partial void FeaturesNotCached(ILogger logger, string jobId, long halfMiB, long singleMiB, long budgetMiB);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Information, Message = "Job {JobId}: head warm-up step {Step}/{Steps}, loss {Loss}")]
    public static partial void HeadWarmup(ILogger logger, string jobId, long step, long steps, float loss);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Information, Message = "Job {JobId}: structured pruning to {Target:F3} of the FLOPs reached {Reached:F3}; heads per layer {Heads}, FFN units {Ffn}, conv channels {Conv}")]
    public static partial void StructuredPruned(ILogger logger, string jobId, double target, double reached, string heads, string ffn, string conv);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Job {JobId}: started from mask bundle sha256:{Digest}, {Masks} masks applied to the backbone weights; head initialized from the bundle: {HeadInitialized}")]
    public static partial void StartedFromBundle(ILogger logger, string jobId, string digest, int masks, bool headInitialized);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "Job {JobId}: target features for k-means of {Done}/{Total} utterances computed")]
    public static partial void TargetFeatures(ILogger logger, string jobId, int done, int total);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Information, Message = "Job {JobId}: targets of {Done}/{Total} training utterances computed")]
    public static partial void TargetsAssigned(ILogger logger, string jobId, int done, int total);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Information, Message = "Job {JobId}: reuses the targets of its work directory ({Targets})")]
    public static partial void TargetsReused(ILogger logger, string jobId, string targets);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Information, Message = "Job {JobId}: k-means fit of {Frames} frames of {Dimension} values into {Clusters} clusters starts")]
    public static partial void KMeansFitting(ILogger logger, string jobId, int frames, int dimension, int clusters);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Information, Message = "Job {JobId}: statistics-pooling head standardized on {Utterances} training utterances ({Width} pooled values)")]
    public static partial void HeadStandardized(ILogger logger, string jobId, int utterances, long width);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Information, Message = "Job {JobId}: the {Split} set's features exceed the cache budget as float32; cached as float16")]
    public static partial void FeaturesCachedAsHalf(ILogger logger, string jobId, string split);

    [LoggerMessage(EventId = 6017, Level = LogLevel.Warning, Message = "Job {JobId}: resumed with {Threads} libtorch threads after steps run with {CheckpointThreads}; the result can differ in the last bits from a run with one thread count")]
    public static partial void ResumedWithOtherThreads(ILogger logger, string jobId, int threads, int checkpointThreads);

    [LoggerMessage(EventId = 6018, Level = LogLevel.Information, Message = "Job {JobId}: features of the {Split} set loaded from {Path}")]
    public static partial void FeaturesLoaded(ILogger logger, string jobId, string split, string path);

    [LoggerMessage(EventId = 6019, Level = LogLevel.Warning, Message = "Job {JobId}: feature cache file {Path} cannot be used ({Reason}); the {Split} set's features are computed again")]
    public static partial void FeatureFileUnusable(ILogger logger, string jobId, string path, string reason, string split);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Information, Message = "Job {JobId}: features of the {Split} set stored in {Path}")]
    public static partial void FeaturesStored(ILogger logger, string jobId, string split, string path);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Warning, Message = "Job {JobId}: features of the {Split} set cannot be stored in {Path} ({Reason}); the job goes on with them in memory")]
    public static partial void FeaturesNotStored(ILogger logger, string jobId, string split, string path, string reason);

    [LoggerMessage(EventId = 6022, Level = LogLevel.Information, Message = "Job {JobId}: libtorch runs {Threads} threads, oneDNN at {Level}")]
    public static partial void LibTorchSettings(ILogger logger, string jobId, int threads, string level);

    [LoggerMessage(EventId = 6023, Level = LogLevel.Warning, Message = "Job {JobId}: resumed with oneDNN at {Level} after steps run at {CheckpointLevel}; the result can differ in the last bits from a run at one level")]
    public static partial void ResumedAtOtherOneDnnLevel(ILogger logger, string jobId, string level, string checkpointLevel);
}
