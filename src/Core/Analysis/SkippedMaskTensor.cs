namespace S3Router.Core.Analysis;

/// <summary>A tensor that only some of the compared routes mask; pairs of routes that both mask it still compare it.</summary>
/// <param name="Name">Parameter name, without a <c>wav2vec2.</c> / <c>hubert.</c> prefix.</param>
/// <param name="MaskedBy">Indexes (into <see cref="MaskSimilarityResult.Labels"/>) of the routes that mask it, ascending.</param>
public sealed record SkippedMaskTensor(string Name, IReadOnlyList<int> MaskedBy);
