namespace S3Router.TrainingService.Data;

/// <summary>One line of a manifest and its labels.</summary>
/// <param name="RelativePath">WAV path relative to the manifest root.</param>
/// <param name="Words">The transcript in the language's vocabulary.</param>
/// <param name="Label">Class name for classification tasks, else null.</param>
/// <param name="Samples">Length of the WAV in samples at 16 kHz.</param>
internal sealed record ManifestRow(string RelativePath, IReadOnlyList<string> Words, string? Label, int Samples);
