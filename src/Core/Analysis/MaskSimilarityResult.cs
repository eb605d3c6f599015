namespace S3Router.Core.Analysis;

/// <summary>What <see cref="MaskSimilarity.Compute"/> found: similarity matrices overall, per layer and per tensor.</summary>
/// <param name="Labels">The routes, in the order of the matrices' rows.</param>
/// <param name="Overall">All tensors that both routes of a pair mask.</param>
/// <param name="Layers">One scope per transformer layer index (ascending) holding a masked tensor.</param>
/// <param name="Tensors">One scope per masked tensor (by layer, then name).</param>
/// <param name="SkippedTensors">Tensors not masked by every route (empty when all routes mask the same tensors).</param>
public sealed record MaskSimilarityResult(
    IReadOnlyList<string> Labels,
    MaskSimilarityScope Overall,
    IReadOnlyList<MaskSimilarityScope> Layers,
    IReadOnlyList<MaskSimilarityScope> Tensors,
    IReadOnlyList<SkippedMaskTensor> SkippedTensors);
