namespace S3Router.TrainingService.Data;

/// <summary>One written manifest.</summary>
/// <param name="Path">The <c>.tsv</c> file.</param>
/// <param name="Utterances">Lines after the root line.</param>
/// <param name="Duration">Total audio.</param>
public sealed record ManifestSummary(string Path, int Utterances, TimeSpan Duration);
