namespace S3Router.TrainingService.Training.Data;

/// <summary>One line of a fairseq manifest with its label line.</summary>
/// <param name="AudioPath">Absolute path of the audio file.</param>
/// <param name="Samples">Sample count from the manifest (at the file's own rate).</param>
/// <param name="Label">The label line as written (<c>.ltr</c> letters, <c>.wrd</c> words, or a class name).</param>
internal sealed record ManifestEntry(string AudioPath, long Samples, string Label);
