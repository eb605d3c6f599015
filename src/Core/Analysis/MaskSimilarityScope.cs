namespace S3Router.Core.Analysis;

/// <summary>
/// Pairwise similarities of routes over one scope: the whole model, one transformer layer, or one masked tensor.
/// Both matrices are [routes × routes], symmetric, 1 on the diagonal; NaN where two routes share no masked tensor
/// in the scope.
/// </summary>
/// <param name="Name"><c>overall</c>, <c>layer.{i}</c>, or the tensor's parameter name (without a <c>wav2vec2.</c> prefix).</param>
/// <param name="Layer">The transformer layer index (<c>encoder.layers.{i}</c>), or null for the overall scope and tensors outside the layers.</param>
/// <param name="Jaccard">Jaccard index of the kept sets, summed over the scope's shared tensors: Σ|A∩B| / Σ|A∪B|.</param>
/// <param name="Hamming">Hamming similarity over the scope's shared tensors: 1 - Σ differing / Σ elements.</param>
public sealed record MaskSimilarityScope(string Name, int? Layer, SimilarityMatrix Jaccard, SimilarityMatrix Hamming);
