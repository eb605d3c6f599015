using S3Router.Core.Errors;
using S3Router.Core.Masks;

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

    /// <summary>
    /// <see cref="Apply(IReadOnlyDictionary{string, WeightTensor}, IReadOnlyDictionary{string, bool[]})"/> straight from
    /// packed bits (<see cref="MaskBits"/>), without one bool per element: each masked tensor is written into an array
    /// from <paramref name="rent"/> (exactly its length), which the caller owns afterwards (<paramref name="rented"/>).
    /// </summary>
    public static Dictionary<string, WeightTensor> Apply(
        IReadOnlyDictionary<string, WeightTensor> weights, IReadOnlyList<MaskTensor> masks, Func<int, float[]> rent, List<float[]> rented)
    {
        var result = new Dictionary<string, WeightTensor>(weights, StringComparer.Ordinal);
        foreach (var mask in masks)
        {
            var name = Wav2Vec2Weights.CanonicalName(mask.Name);
            if (!weights.TryGetValue(name, out var weight))
            {
                throw new FailedPreconditionException($"The route mask names tensor '{mask.Name}', which the backbone does not have.");
            }

            if (mask.ElementCount != weight.Data.Length)
            {
                throw new FailedPreconditionException(
                    $"The route mask for '{name}' has {mask.ElementCount} elements; the backbone tensor {weight.ShapeText} has {weight.Data.Length}.");
            }

            var masked = rent(weight.Data.Length);
            rented.Add(masked);
            Multiply(weight.Data, mask.Packed, masked);
            result[name] = weight with { Data = masked };
        }

        return result;
    }

    // masked[i] = bit i ? data[i] : 0, one packed byte (8 elements) at a time.
    private static void Multiply(ReadOnlySpan<float> data, ReadOnlySpan<byte> packed, Span<float> masked)
    {
        var full = data.Length / 8;
        for (var j = 0; j < full; j++)
        {
            var bits = packed[j];
            var i = j * 8;
            if (bits == 0xFF)
            {
                data.Slice(i, 8).CopyTo(masked.Slice(i, 8));
                continue;
            }

            for (var b = 0; b < 8; b++)
            {
                masked[i + b] = (bits & (1 << b)) != 0 ? data[i + b] : 0f;
            }
        }

        for (var i = full * 8; i < data.Length; i++)
        {
            masked[i] = (packed[i / 8] & (1 << (i % 8))) != 0 ? data[i] : 0f;
        }
    }
}
