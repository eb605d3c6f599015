using S3Router.Core.Backbones;
using S3Router.Core.Errors;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// The backbone's parameters in Hugging Face naming without the model prefix
/// (<c>encoder.layers.0.feed_forward.intermediate_dense.weight</c>): name normalisation, weight-norm folding and
/// validation against a <see cref="Wav2Vec2Config"/>.
/// </summary>
internal static class Wav2Vec2Weights
{
    /// <summary>
    /// The effective positional-conv weight <c>g * v / ||v||</c>. Checkpoints store it as <c>weight_g</c>/<c>weight_v</c>
    /// or <c>parametrizations.weight.original0/1</c>; it is folded once when loading, so the ONNX graph holds a plain
    /// initializer under this name.
    /// </summary>
    public const string PosConvWeight = "encoder.pos_conv_embed.conv.weight";

    private const string PosConvPrefix = "encoder.pos_conv_embed.conv.";

    private static readonly string[] ModelPrefixes = ["wav2vec2.", "hubert."];

    // Pretraining-only or head tensors that a backbone checkpoint may carry; the backbone ignores them.
    private static readonly string[] IgnoredPrefixes =
        ["masked_spec_embed", "quantizer.", "project_q.", "project_hid.", "lm_head.", "final_proj.", "label_embeddings_concat"];

    /// <summary>Strips a <c>wav2vec2.</c> / <c>hubert.</c> prefix.</summary>
    public static string CanonicalName(string name)
    {
        foreach (var prefix in ModelPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return name[prefix.Length..];
            }
        }

        return name;
    }

    /// <summary>
    /// Canonical names, ignored tensors dropped and the positional conv's weight norm folded into
    /// <see cref="PosConvWeight"/>. Does not validate; see <see cref="Validate"/>.
    /// </summary>
    public static Dictionary<string, WeightTensor> Normalize(IReadOnlyDictionary<string, WeightTensor> weights)
    {
        var result = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var (rawName, tensor) in weights)
        {
            var name = CanonicalName(rawName);
            if (IgnoredPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
            {
                continue;
            }

            if (!result.TryAdd(name, tensor))
            {
                throw new InvalidInputException($"Tensor '{name}' appears twice (with and without a model prefix).", "weights");
            }
        }

        FoldPair(result, PosConvPrefix + "weight_g", PosConvPrefix + "weight_v");
        FoldPair(result, PosConvPrefix + "parametrizations.weight.original0", PosConvPrefix + "parametrizations.weight.original1");
        return result;
    }

    /// <summary>
    /// torch <c>weight_norm(dim=2)</c>: <c>w[o,i,k] = g[k] * v[o,i,k] / ||v[:,:,k]||</c>, the norm taken over every
    /// dim except dim 2. <paramref name="g"/> is [1, 1, K], <paramref name="v"/> is [out, in/groups, K].
    /// </summary>
    public static WeightTensor FoldWeightNorm(WeightTensor g, WeightTensor v)
    {
        if (v.Shape.Length != 3 || g.ElementCount != v.Shape[2] || v.Data.Length != v.ElementCount)
        {
            throw new InvalidInputException(
                $"Positional conv weight norm: expected v [out, in, K] and g [1, 1, K], found v {v.ShapeText} and g {g.ShapeText}.",
                "weights");
        }

        var kernel = (int)v.Shape[2];
        var rows = v.Data.Length / kernel;
        var sumSquares = new double[kernel];
        for (var r = 0; r < rows; r++)
        {
            for (var k = 0; k < kernel; k++)
            {
                double x = v.Data[(r * kernel) + k];
                sumSquares[k] += x * x;
            }
        }

        var scale = new double[kernel];
        for (var k = 0; k < kernel; k++)
        {
            scale[k] = g.Data[k] / Math.Sqrt(sumSquares[k]);
        }

        var w = new float[v.Data.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var k = 0; k < kernel; k++)
            {
                w[(r * kernel) + k] = (float)(v.Data[(r * kernel) + k] * scale[k]);
            }
        }

        return new WeightTensor(w, (long[])v.Shape.Clone());
    }

    /// <summary>
    /// Every parameter the graph needs, with its shape: Core's <see cref="BackboneParameterShapes"/> with the weight-norm
    /// pair replaced by the folded <see cref="PosConvWeight"/> and without the training-only <c>masked_spec_embed</c>.
    /// </summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Expected(Wav2Vec2Config config)
    {
        var list = new List<(string, long[])>();
        foreach (var (name, shape) in BackboneParameterShapes.For(config))
        {
            if (name == PosConvPrefix + "weight_v")
            {
                list.Add((PosConvWeight, shape));
            }
            else if (name != PosConvPrefix + "weight_g" && name != BackboneParameterShapes.MaskedSpecEmbed)
            {
                list.Add((name, shape));
            }
        }

        return list;
    }

    /// <summary>
    /// Checks that <paramref name="weights"/> (normalised) hold exactly the expected tensors with the expected shapes;
    /// lists every missing, unknown or mis-shaped tensor in one <see cref="InvalidInputException"/>.
    /// </summary>
    public static void Validate(Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> weights)
    {
        var problems = new List<string>();
        var expected = Expected(config);
        foreach (var (name, shape) in expected)
        {
            if (!weights.TryGetValue(name, out var tensor))
            {
                problems.Add($"missing '{name}'");
            }
            else if (!tensor.Shape.SequenceEqual(shape))
            {
                problems.Add($"'{name}' expected {WeightTensor.FormatShape(shape)}, found {tensor.ShapeText}");
            }
            else if (tensor.Data.Length != tensor.ElementCount)
            {
                problems.Add($"'{name}' has {tensor.Data.Length} values for shape {tensor.ShapeText}");
            }
        }

        var known = expected.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(weights.Keys.Where(n => !known.Contains(n)).Order(StringComparer.Ordinal).Select(n => $"unknown '{n}'"));
        if (problems.Count > 0)
        {
            throw new InvalidInputException(
                $"Backbone weights do not fit the config ({problems.Count} problems): {string.Join("; ", problems.Take(20))}",
                "weights");
        }
    }

    private static void FoldPair(Dictionary<string, WeightTensor> weights, string gName, string vName)
    {
        var hasG = weights.Remove(gName, out var g);
        var hasV = weights.Remove(vName, out var v);
        if (hasG != hasV)
        {
            throw new InvalidInputException($"Weight norm needs both '{gName}' and '{vName}'; only one is present.", "weights");
        }

        if (hasG && !weights.TryAdd(PosConvWeight, FoldWeightNorm(g!, v!)))
        {
            throw new InvalidInputException($"'{PosConvWeight}' is given both directly and as a weight norm pair.", "weights");
        }
    }
}
