namespace S3Router.TrainingService.Data;

/// <summary>A snapshot of a running build.</summary>
/// <param name="Total">Distinct WAV files the plan needs.</param>
/// <param name="Synthesized">Files made in this run.</param>
/// <param name="Reused">Files found complete from an earlier run.</param>
/// <param name="Failed">Files an engine could not make (left out of the manifests).</param>
public sealed record CorpusProgress(int Total, int Synthesized, int Reused, int Failed)
{
    /// <summary>Files finished one way or another.</summary>
    public int Done => Synthesized + Reused + Failed;
}
