namespace S3Router.TrainingService.Training.Checkpoints;

/// <summary>Where a run stands: the JSON part of a checkpoint (tensors are stored beside it).</summary>
internal sealed record TrainingState
{
    /// <summary>Completed optimizer steps.</summary>
    public long Step { get; init; }

    /// <summary>Sampler position: epoch and index into that epoch's shuffled batch order of the next batch.</summary>
    public long Epoch { get; init; }

    public int Position { get; init; }

    /// <summary>Adam's step count per parameter.</summary>
    public Dictionary<string, long> AdamSteps { get; init; } = [];

    /// <summary>The latest valid metrics, reported again after a resume.</summary>
    public Dictionary<string, double> EvalMetrics { get; init; } = [];

    /// <summary>Digest of the training-relevant part of the spec; a checkpoint of another spec is refused.</summary>
    public string SpecDigest { get; init; } = "";

    /// <summary>
    /// The job's dataset digest (manifests and labels); a checkpoint of other data at the same paths is refused.
    /// Empty in checkpoints written before it was recorded (accepted).
    /// </summary>
    public string DatasetDigest { get; init; } = "";

    /// <summary>libtorch threads the steps so far ran with (0: not recorded); a resume with another count is logged.</summary>
    public int TorchThreads { get; init; }

    /// <summary>
    /// oneDNN level the steps so far ran at (<see cref="JobRunner.RecordedOneDnnLevel"/>; empty: oneDNN's own level), or
    /// null in checkpoints written before it was recorded; a resume at another level is logged.
    /// </summary>
    public string? OneDnnMaxIsa { get; init; }
}
