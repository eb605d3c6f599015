using S3Router.Core.Backbones;
using S3Router.Testing;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training.Heads;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training.Heads;

public sealed class ConvMaxHeadTests
{
    // H = 32, L = 2, conv_dim[-1] = 16: all-states width 16 + 3 · 32 = 112.
    private static readonly Wav2Vec2Config Config = TinyConfigs.Base;

    [Fact]
    public void Export_Width6Kernel3_BundleTensorsOfTheContract()
    {
        // Arrange
        using var head = new ConvMaxHead(Config, classes: 4, width: 6, kernel: 3);

        // Act
        var shapes = head.Export().ToDictionary(t => t.Name, t => t.Shape.ToArray());

        // Assert
        Assert.Equal(
            ["head.conv.bias", "head.conv.weight", "head.layer_logits", "head.norm.bias", "head.norm.weight", "head.proj.bias", "head.proj.weight"],
            shapes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([3L], shapes["head.layer_logits"]);
        Assert.Equal([32L], shapes["head.norm.weight"]);
        Assert.Equal([6L, 32, 3], shapes["head.conv.weight"]);
        Assert.Equal([4L, 6], shapes["head.proj.weight"]);
    }

    [Fact]
    public void Forward_RandomHead_EqualsTheFormulaWrittenOut()
    {
        // Arrange
        manual_seed(3);
        using var head = new ConvMaxHead(Config, classes: 3, width: 5, kernel: 3);
        head.Import(Randomized(head, seed: 4));
        head.eval();
        var x = RandomStates(frames: 7, seed: 5);
        using var input = tensor(x, [1, 7, Config.AllStatesWidth]);
        var tensors = head.Export().ToDictionary(t => t.Name, t => t.Values.ToArray());

        // Act
        using var logits = head.call(input, null);

        // Assert
        var expected = FormulaLogits(tensors, x, frames: 7, kernel: 3, width: 5, classes: 3);
        var actual = logits.data<float>().ToArray();
        for (var c = 0; c < 3; c++)
        {
            Assert.Equal(expected[c], actual[c], 1e-4);
        }
    }

    [Fact]
    public void Forward_PaddedBatch_EachUtteranceAsAlone()
    {
        // Arrange: a 4-frame utterance padded to 9 frames with large values, which must neither enter the convolution at
        // its edge nor win the maximum.
        manual_seed(6);
        using var head = new ConvMaxHead(Config, classes: 3, width: 8, kernel: 5);
        head.Import(Randomized(head, seed: 7));
        head.eval();
        var width = Config.AllStatesWidth;
        var longer = RandomStates(frames: 9, seed: 8);
        var shorter = RandomStates(frames: 4, seed: 9);
        var padded = new float[2 * 9 * width];
        longer.CopyTo(padded, 0);
        shorter.CopyTo(padded, 9 * width);
        Array.Fill(padded, 50f, (9 * width) + shorter.Length, (9 - 4) * width);
        using var batch = tensor(padded, [2, 9, width]);
        using var lengths = tensor(new long[] { 9, 4 });
        using var aloneLonger = tensor(longer, [1, 9, width]);
        using var aloneShorter = tensor(shorter, [1, 4, width]);

        // Act
        using var batched = head.call(batch, lengths);
        using var first = head.call(aloneLonger, null);
        using var second = head.call(aloneShorter, null);

        // Assert
        Assert.True(batched[0].allclose(first[0], rtol: 0, atol: 1e-5));
        Assert.True(batched[1].allclose(second[0], rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Constructor_EvenKernel_Throws()
    {
        // Act + Assert
        Assert.Throws<ArgumentException>(() => new ConvMaxHead(Config, classes: 3, width: 8, kernel: 4));
    }

    // softmax(W · max_t ReLU(conv(LayerNorm(Σ_l a_l h_l))) + b) in double, zero frames outside [0, T).
    private static double[] FormulaLogits(Dictionary<string, float[]> p, float[] x, int frames, int kernel, int width, int classes)
    {
        int h = Config.HiddenSize, states = Config.NumHiddenLayers + 1, w = Config.AllStatesWidth, offset = w - (states * h);
        var logits = p["head.layer_logits"].Select(v => (double)v).ToArray();
        var mix = logits.Select(v => Math.Exp(v - logits.Max())).ToArray();
        mix = mix.Select(v => v / mix.Sum()).ToArray();
        var n = new double[frames, h];
        for (var t = 0; t < frames; t++)
        {
            var s = new double[h];
            for (var l = 0; l < states; l++)
            {
                for (var i = 0; i < h; i++)
                {
                    s[i] += mix[l] * x[(t * w) + offset + (l * h) + i];
                }
            }

            var mean = s.Average();
            var variance = s.Select(v => (v - mean) * (v - mean)).Average();
            for (var i = 0; i < h; i++)
            {
                n[t, i] = ((s[i] - mean) / Math.Sqrt(variance + 1e-5) * p["head.norm.weight"][i]) + p["head.norm.bias"][i];
            }
        }

        var pooled = new double[width];
        for (var o = 0; o < width; o++)
        {
            pooled[o] = double.NegativeInfinity;
            for (var t = 0; t < frames; t++)
            {
                double c = p["head.conv.bias"][o];
                for (var k = 0; k < kernel; k++)
                {
                    var source = t + k - (kernel / 2);
                    for (var i = 0; source >= 0 && source < frames && i < h; i++)
                    {
                        c += p["head.conv.weight"][(((o * h) + i) * kernel) + k] * n[source, i];
                    }
                }

                pooled[o] = Math.Max(pooled[o], Math.Max(0, c));
            }
        }

        return [.. Enumerable.Range(0, classes).Select(c => p["head.proj.bias"][c] + Enumerable.Range(0, width).Sum(o => p["head.proj.weight"][(c * width) + o] * pooled[o]))];
    }

    private static float[] RandomStates(int frames, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, frames * Config.AllStatesWidth).Select(_ => (float)((random.NextDouble() * 4) - 2))];
    }

    // Every tensor moved away from its initialization (layer_logits zero, LayerNorm identity) so each takes part.
    private static Dictionary<string, HostTensor> Randomized(ConvMaxHead head, int seed)
    {
        var random = new Random(seed);
        return head.Export().ToDictionary(t => t.Name, t => new HostTensor(
            [.. t.Values.ToArray().Select(v => v + (float)((random.NextDouble() - 0.5) * (t.Name == "head.layer_logits" ? 3 : 0.5)))], [.. t.Shape]));
    }
}
