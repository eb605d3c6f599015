using S3Router.Core.Errors;
using S3Router.InferenceService.Inference.Heads;

namespace S3Router.InferenceService.Tests.Inference.Heads;

public sealed class ConvMaxPoolingTests
{
    // A backbone with H = 4, L = 1 and 3 conv features: x[t] = [conv (3) | h_0 (4) | h_1 (4)], W = 11.
    private const int Hidden = 4;
    private const int Layers = 1;
    private const int Width = 3 + ((Layers + 1) * Hidden);
    private const int Channels = 3;
    private const int Kernel = 3;
    private static readonly string[] Classes = ["a", "b"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(6)]
    public void Pool_RandomHead_EqualsTheFormulaWrittenOut(int frames)
    {
        // Arrange
        var t = Tensors(seed: 1);
        var pooling = Create(t);
        var x = States(frames, seed: 2);
        var pooled = new float[Channels];

        // Act
        pooling.Pool(x, pooled);

        // Assert
        var expected = Formula(t, x);
        for (var o = 0; o < Channels; o++)
        {
            Assert.Equal(expected[o], pooled[o], 1e-5);
        }
    }

    [Fact]
    public void Pool_ConvFeatureColumnsChanged_SameVector()
    {
        // Arrange: only hidden states 0..L are read.
        var pooling = Create(Tensors(seed: 3));
        var x = States(5, seed: 4);
        var changed = (float[,])x.Clone();
        for (var t = 0; t < 5; t++)
        {
            changed[t, 0] += 100f;
            changed[t, 2] -= 7f;
        }

        var (before, after) = (new float[Channels], new float[Channels]);

        // Act
        pooling.Pool(x, before);
        pooling.Pool(changed, after);

        // Assert
        Assert.Equal(before, after);
    }

    [Fact]
    public void Classify_ConvMaxHead_SoftmaxOfProjOfThePooledVector()
    {
        // Arrange
        var t = Tensors(seed: 5);
        float[] weight = [0.5f, -1f, 2f, -0.3f, 0.8f, 0.1f];
        float[] bias = [0.2f, -0.1f];
        var head = ClassifierHead.ConvMax(weight, bias, Create(t), Classes);
        var x = States(4, seed: 6);

        // Act
        var result = head.Classify(x, top: 2);

        // Assert
        var p = Formula(t, x);
        var logits = Enumerable.Range(0, 2).Select(c => bias[c] + Enumerable.Range(0, Channels).Sum(o => weight[(c * Channels) + o] * p[o])).ToArray();
        var exp = logits.Select(l => Math.Exp(l - logits.Max())).ToArray();
        var scores = result.ToDictionary(r => r.ClassName, r => r.Score);
        Assert.True(head.ReadsAllStates);
        Assert.False(head.PoolsStatistics);
        Assert.Equal(exp[0] / exp.Sum(), scores["a"], 1e-5);
        Assert.Equal(exp[1] / exp.Sum(), scores["b"], 1e-5);
    }

    [Theory]
    [InlineData("head.layer_logits")]
    [InlineData("head.norm.weight")]
    [InlineData("head.norm.bias")]
    [InlineData("head.conv.bias")]
    public void Create_TensorOfWrongLength_FailedPreconditionNamingIt(string tensor)
    {
        // Arrange
        var t = Tensors(seed: 7);
        t[tensor] = [.. t[tensor], 0f];

        // Act
        var error = Assert.Throws<FailedPreconditionException>(() => Create(t));

        // Assert
        Assert.StartsWith(tensor + " must be", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new long[] { Channels, Hidden, 2 })]
    [InlineData(new long[] { Channels, Hidden + 1, Kernel })]
    [InlineData(new long[] { Channels * Hidden * Kernel })]
    public void Create_ConvWeightOfWrongShape_FailedPreconditionNamingIt(long[] shape)
    {
        // Arrange
        var t = Tensors(seed: 8);

        // Act
        var error = Assert.Throws<FailedPreconditionException>(() => ConvMaxPooling.Create(
            t["head.layer_logits"], t["head.norm.weight"], t["head.norm.bias"], new float[shape.Aggregate(1L, (a, b) => a * b)], shape,
            t["head.conv.bias"], Hidden, Layers, Width));

        // Assert
        Assert.StartsWith("head.conv.weight must be", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvMax_ProjOfWrongSize_FailedPreconditionNamingProj()
    {
        // Act
        var error = Assert.Throws<FailedPreconditionException>(() => ClassifierHead.ConvMax(new float[2 * (Channels + 1)], new float[2], Create(Tensors(seed: 9)), Classes));

        // Assert
        Assert.Contains($"head.proj.weight [2, {Channels}]", error.Message, StringComparison.Ordinal);
    }

    private static ConvMaxPooling Create(Dictionary<string, float[]> t) => ConvMaxPooling.Create(
        t["head.layer_logits"], t["head.norm.weight"], t["head.norm.bias"], t["head.conv.weight"], [Channels, Hidden, Kernel], t["head.conv.bias"],
        Hidden, Layers, Width);

    private static Dictionary<string, float[]> Tensors(int seed)
    {
        var random = new Random(seed);
        float[] Values(int n, double center, double spread) => [.. Enumerable.Range(0, n).Select(_ => (float)(center + (spread * ((2 * random.NextDouble()) - 1))))];
        return new Dictionary<string, float[]>
        {
            ["head.layer_logits"] = Values(Layers + 1, 0, 1.5),
            ["head.norm.weight"] = Values(Hidden, 1, 0.5),
            ["head.norm.bias"] = Values(Hidden, 0, 0.5),
            ["head.conv.weight"] = Values(Channels * Hidden * Kernel, 0, 0.6),
            ["head.conv.bias"] = Values(Channels, 0, 0.3),
        };
    }

    private static float[,] States(int frames, int seed)
    {
        var random = new Random(seed);
        var x = new float[frames, Width];
        for (var t = 0; t < frames; t++)
        {
            for (var w = 0; w < Width; w++)
            {
                x[t, w] = (float)((random.NextDouble() * 6) - 3);
            }
        }

        return x;
    }

    private static double[] Formula(Dictionary<string, float[]> p, float[,] x) => ConvMaxReference.Pooled(p, x, Hidden, Layers, Channels, Kernel);
}
