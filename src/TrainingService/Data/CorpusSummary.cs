namespace S3Router.TrainingService.Data;

/// <summary>What a build did.</summary>
/// <param name="Manifests">Every manifest written, in plan order.</param>
/// <param name="Progress">Final counts.</param>
/// <param name="Failures">One line per utterance an engine could not make.</param>
/// <param name="Warnings">Shortfalls against the requested sizes.</param>
public sealed record CorpusSummary(
    IReadOnlyList<ManifestSummary> Manifests,
    CorpusProgress Progress,
    IReadOnlyList<string> Failures,
    IReadOnlyList<string> Warnings);
