namespace S3Router.TrainingService.Model;

/// <summary>What loading a checkpoint did besides filling every backbone tensor.</summary>
/// <param name="Loaded">Number of backbone tensors loaded.</param>
/// <param name="Prefix">The backbone prefix found (<c>wav2vec2.</c>, <c>hubert.</c>) or empty.</param>
/// <param name="IgnoredHeads">Tensors outside the prefixed backbone (task heads, quantizer), not loaded.</param>
/// <param name="KeptInitial">Optional backbone tensors absent from the file that keep their initial value (<c>masked_spec_embed</c>).</param>
public sealed record CheckpointLoadReport(
    int Loaded,
    string Prefix,
    IReadOnlyList<string> IgnoredHeads,
    IReadOnlyList<string> KeptInitial);
