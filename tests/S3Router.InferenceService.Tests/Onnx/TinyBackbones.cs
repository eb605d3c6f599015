using S3Router.Core.Backbones;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Tests.Onnx;

/// <summary>Seeded tiny backbones (hidden 32, 2 layers) of both styles, weights in HF naming.</summary>
internal static class TinyBackbones
{
    public static Wav2Vec2Config Config(bool stable) => new()
    {
        HiddenSize = 32,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        IntermediateSize = 64,
        FeatExtractNorm = stable ? "layer" : "group",
        DoStableLayerNorm = stable,
        ConvDim = [32, 32, 32],
        ConvKernel = [10, 3, 2],
        ConvStride = [5, 2, 2],
        ConvBias = stable,
        NumConvPosEmbeddings = stable ? 15 : 16,
        NumConvPosEmbeddingGroups = 4,
    };

    /// <summary>
    /// Random weights for <paramref name="config"/>: as a checkpoint stores them, with the <c>wav2vec2.</c> prefix and
    /// the positional conv as <c>weight_g</c>/<c>weight_v</c>.
    /// </summary>
    public static Dictionary<string, WeightTensor> Weights(Wav2Vec2Config config, int seed)
    {
        var random = new Random(seed);
        var weights = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var (name, shape) in Wav2Vec2Weights.Expected(config))
        {
            var count = (int)shape.Aggregate(1L, (a, b) => a * b);
            var isNormScale = name.EndsWith("norm.weight", StringComparison.Ordinal);
            var fanIn = shape.Length > 1 ? shape.Skip(1).Aggregate(1L, (a, b) => a * b) : 1;
            var scale = shape.Length > 1 ? 1.0 / Math.Sqrt(fanIn) : 0.1;
            var data = new float[count];
            for (var i = 0; i < count; i++)
            {
                var u = (float)(((random.NextDouble() * 2) - 1) * scale * Math.Sqrt(3));
                data[i] = isNormScale ? 1f + u : u;
            }

            if (name == Wav2Vec2Weights.PosConvWeight)
            {
                weights["wav2vec2.encoder.pos_conv_embed.conv.weight_v"] = new WeightTensor(data, shape);
                var g = Enumerable.Range(0, (int)shape[2]).Select(_ => (float)(0.5 + random.NextDouble())).ToArray();
                weights["wav2vec2.encoder.pos_conv_embed.conv.weight_g"] = new WeightTensor(g, [1, 1, shape[2]]);
                continue;
            }

            weights["wav2vec2." + name] = new WeightTensor(data, shape);
        }

        return weights;
    }

    /// <summary>Seeded audio-like noise.</summary>
    public static float[] Audio(int samples, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, samples).Select(_ => (float)((random.NextDouble() - 0.5) * 0.6)).ToArray();
    }

    /// <summary>max |a - b| / max |b|; shapes must match.</summary>
    public static double RelativeError(float[,] actual, float[,] expected)
    {
        Assert.Equal(expected.GetLength(0), actual.GetLength(0));
        Assert.Equal(expected.GetLength(1), actual.GetLength(1));
        double maxDiff = 0, maxRef = 0;
        for (var i = 0; i < expected.GetLength(0); i++)
        {
            for (var j = 0; j < expected.GetLength(1); j++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(actual[i, j] - expected[i, j]));
                maxRef = Math.Max(maxRef, Math.Abs(expected[i, j]));
            }
        }

        return maxDiff / maxRef;
    }
}
