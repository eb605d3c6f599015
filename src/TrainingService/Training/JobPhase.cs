namespace S3Router.TrainingService.Training;

/// <summary>Values of <c>JobProgress.phase</c> (training.proto): what a job does between its steps.</summary>
internal static class JobPhase
{
    /// <summary>A head job (or a head warm-up) computes the frozen backbone's features of the training set once.</summary>
    public const string CachingFeatures = "caching_features";

    /// <summary>
    /// With a disk feature cache (S3R_FEATURE_CACHE_DIR), a head job first reads every audio file of a split once: its
    /// sha256 is part of the name the features are stored under.
    /// </summary>
    public const string HashingAudio = "hashing_audio";

    /// <summary>A head job (or a head warm-up) loaded those features from the disk cache instead (S3R_FEATURE_CACHE_DIR).</summary>
    public const string LoadingFeatures = "loading_features";

    /// <summary>LP-FT: head_warmup_steps on the cached features before the job's own steps.</summary>
    public const string HeadWarmup = "head_warmup";

    /// <summary>Scoring the valid split at an evaluation step.</summary>
    public const string Evaluating = "evaluating";

    /// <summary>Scoring the test split after the last step.</summary>
    public const string Testing = "testing";
}
