namespace S3Router.TrainingService.Data;

/// <summary>Everything a build writes, decided before any audio is made.</summary>
/// <param name="Splits">Manifests, in a fixed order.</param>
/// <param name="LetterDictionaries">Per ASR folder, the letters of its vocabulary (for dict.ltr.txt).</param>
/// <param name="Warnings">Shortfalls (too few sentences for a size), for the user.</param>
internal sealed record CorpusPlan(
    IReadOnlyList<ManifestSplit> Splits,
    IReadOnlyDictionary<string, string> LetterDictionaries,
    IReadOnlyList<string> Warnings);
