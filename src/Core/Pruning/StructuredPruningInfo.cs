namespace S3Router.Core.Pruning;

/// <summary>
/// What a structured-pruning job did, stored in the bundle metadata as <c>structured_pruning</c>. Descriptive only: the
/// masks (whole rows, columns and channels zero) are the truth, and the inference engine finds the removable structures
/// from them.
/// </summary>
public sealed record StructuredPruningInfo
{
    /// <summary>How structures were ranked, e.g. <c>magnitude</c>. Required.</summary>
    public required string Method { get; init; }

    /// <summary>The asked fraction of forward FLOPs kept, in (0, 1]. Required.</summary>
    public required double ComputeKeepTarget { get; init; }

    /// <summary>The reached fraction of forward FLOPs kept (<see cref="BackboneCompute.KeptFraction"/> at 10 s of audio). Required.</summary>
    public required double ComputeKeep { get; init; }

    /// <summary>Kept structures per layer. Required.</summary>
    public required StructuredShape Shape { get; init; }
}
