using S3Router.Core.Backbones;

namespace S3Router.TrainingService.Tests.Model;

internal static class TestConfigs
{
    /// <summary>Base style: group norm on conv layer 0, post-LN encoder, even positional kernel.</summary>
    public static Wav2Vec2Config Base { get; } = new()
    {
        HiddenSize = 32,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        IntermediateSize = 64,
        ConvDim = [16, 16, 16],
        ConvKernel = [10, 3, 3],
        ConvStride = [5, 2, 2],
        NumConvPosEmbeddings = 16,
        NumConvPosEmbeddingGroups = 4,
    };

    /// <summary>Stable layer norm style: layer-norm conv blocks, pre-LN encoder, odd positional kernel.</summary>
    public static Wav2Vec2Config Stable { get; } = Base with
    {
        FeatExtractNorm = "layer",
        DoStableLayerNorm = true,
        ConvBias = true,
        NumConvPosEmbeddings = 15,
    };

    public static Wav2Vec2Config ByStyle(string style) => style == "stable" ? Stable : Base;

    public static float[] Audio(int samples, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, samples).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    /// <summary>max |a - b| relative to max |b|.</summary>
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
