namespace S3Router.TrainingService.Data;

/// <summary>What an Asterisk corpus build did.</summary>
/// <param name="Manifests">Every manifest written: per language <c>all</c>, <c>train_real</c> and <c>test</c>.</param>
/// <param name="Progress">Final decode counts (<see cref="CorpusProgress.Synthesized"/> counts decoded files).</param>
/// <param name="Languages">Per language: prompts kept and dropped.</param>
/// <param name="Failures">One line per recording ffmpeg could not decode.</param>
/// <param name="Skipped">One line per requested language that was not built, and why.</param>
public sealed record AsteriskSummary(
    IReadOnlyList<ManifestSummary> Manifests,
    CorpusProgress Progress,
    IReadOnlyList<AsteriskLanguageReport> Languages,
    IReadOnlyList<string> Failures,
    IReadOnlyList<string> Skipped);
