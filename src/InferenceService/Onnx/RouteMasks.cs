using S3Router.Core.Errors;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// Applies a route's binary mask to backbone weights: the masked tensors become constant initializers <c>W * M</c>
/// under their parameter names, so ONNX Runtime pre-packs them like any other weight.
/// </summary>
internal static class RouteMasks
{
    /// <summary>
    /// Returns a new weight map in which each tensor named in <paramref name="mask"/> (parameter name, with or without
    /// the model prefix; one bool per element, row-major) is replaced by <c>W * M</c>. Unmasked tensors are shared,
    /// not copied. A mask for an unknown tensor or of the wrong size means the bundle does not fit this backbone.
    /// </summary>
    public static Dictionary<string, WeightTensor> Apply(
        IReadOnlyDictionary<string, WeightTensor> weights, IReadOnlyDictionary<string, bool[]> mask)
    {
        var result = new Dictionary<string, WeightTensor>(weights, StringComparer.Ordinal);
        foreach (var (rawName, keep) in mask)
        {
            var name = Wav2Vec2Weights.CanonicalName(rawName);
            if (!weights.TryGetValue(name, out var weight))
            {
                throw new FailedPreconditionException($"The route mask names tensor '{rawName}', which the backbone does not have.");
            }

            if (keep.Length != weight.Data.Length)
            {
                throw new FailedPreconditionException(
                    $"The route mask for '{name}' has {keep.Length} elements; the backbone tensor {weight.ShapeText} has {weight.Data.Length}.");
            }

            var masked = new float[weight.Data.Length];
            for (var i = 0; i < masked.Length; i++)
            {
                masked[i] = keep[i] ? weight.Data[i] : 0f;
            }

            result[name] = weight with { Data = masked };
        }

        return result;
    }
}
