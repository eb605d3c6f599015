using S3Router.Core.Backbones;
using S3Router.Core.Pruning;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Onnx;

public sealed class StructuredShrinkTests
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Build_StructuredMask_ShrunkGraphMatchesMaskedFullGraph(bool stable)
    {
        var config = TinyConfigs.ByStyle(stable);
        var weights = TestWeights.For(config, seed: 5);
        var mask = StructuredMask(config);
        using var full = OnnxBackboneSession.Create(config, weights, mask, new OnnxBuildOptions { Shrink = false });
        using var shrunk = OnnxBackboneSession.Create(config, weights, mask, new OnnxBuildOptions());
        var audio = new[] { Signals.Noise(2345, 1, 0.3), Signals.Noise(1600, 2, 0.3) };

        var expected = full.Run(audio);
        var actual = shrunk.Run(audio);

        for (var i = 0; i < audio.Length; i++)
        {
            Assert.Equal(expected[i].GetLength(0), actual[i].GetLength(0));
            Assert.True(Numerics.RelativeError(actual[i], expected[i]) < Tolerance, $"utterance {i}: {Numerics.RelativeError(actual[i], expected[i])}");
        }
    }

    [Fact]
    public void KeptStructure_StructuredMask_FindsEveryRemovedHeadUnitAndChannel()
    {
        var config = TinyConfigs.Base;

        var shape = Wav2Vec2OnnxBuilder.KeptStructure(config, TestWeights.For(config, seed: 5), StructuredMask(config));

        Assert.Equal([13, 14, 16], shape.ConvChannels);
        Assert.Equal([3, 2], shape.Heads);
        Assert.Equal([44, 24], shape.FfnUnits);
    }

    [Fact]
    public void Build_StructuredMask_InitializersHoldFewerParametersAsComputed()
    {
        var config = TinyConfigs.Base;
        var weights = TestWeights.For(config, seed: 5);
        var mask = StructuredMask(config);
        var parameterNames = Wav2Vec2Weights.Expected(config).Select(e => e.Name).ToHashSet();

        var full = ParameterCount(Wav2Vec2OnnxBuilder.Build(config, weights, mask, new OnnxBuildOptions { Shrink = false }), parameterNames);
        var shrunk = ParameterCount(Wav2Vec2OnnxBuilder.Build(config, weights, mask), parameterNames);
        var shape = Wav2Vec2OnnxBuilder.KeptStructure(config, weights, mask);

        Assert.Equal(BackboneCompute.Parameters(config, StructuredShape.Full(config)), full);
        Assert.Equal(BackboneCompute.Parameters(config, shape), shrunk);
        Assert.True(shrunk < full);
        Assert.InRange(BackboneCompute.KeptFraction(config, shape, 16_000), 0.3, 0.95);
    }

    [Fact]
    public void Build_UnstructuredMask_KeepsEveryStructure()
    {
        var config = TinyConfigs.Base;
        var weights = TestWeights.For(config, seed: 5);
        var random = new Random(3);
        var mask = new Dictionary<string, bool[]>
        {
            ["encoder.layers.0.feed_forward.output_dense.weight"] = Enumerable.Range(0, 32 * 64).Select(_ => random.NextDouble() < 0.9).ToArray(),
        };

        var shape = Wav2Vec2OnnxBuilder.KeptStructure(config, weights, mask);

        Assert.Equal(StructuredShape.Full(config).FfnUnits, shape.FfnUnits);
        Assert.Equal(StructuredShape.Full(config).Heads, shape.Heads);
    }

    private static long ParameterCount(InferenceService.Onnx.Proto.ModelProto model, HashSet<string> names) =>
        model.Graph.Initializer.Where(t => names.Contains(t.Name)).Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));

    /// <summary>
    /// Conv layer 0 loses channels 1, 5, 9 and layer 1 channels 2, 3 (zero input slices of the next layer; the last layer
    /// is never shrunk); layer 0 loses head 1, layer 1 heads 0 and 3 (q/k/v rows and out_proj columns); layer 0 loses FFN
    /// units 0-19, layer 1 units 10-49 (intermediate rows, output columns).
    /// </summary>
    private static Dictionary<string, bool[]> StructuredMask(Wav2Vec2Config config)
    {
        var mask = new Dictionary<string, bool[]>(StringComparer.Ordinal);
        int[][] convDrop = [[1, 5, 9], [2, 3]];
        for (var i = 0; i < convDrop.Length; i++)
        {
            var next = $"feature_extractor.conv_layers.{i + 1}.conv.weight";
            int outs = config.ConvDim[i + 1], ins = config.ConvDim[i], k = config.ConvKernel[i + 1];
            mask[next] = Fill(outs * ins * k, e => !convDrop[i].Contains((e / k) % ins));
            if (!Wav2Vec2OnnxBuilder.IsLayerNormExtractor(config))
            {
                var own = $"feature_extractor.conv_layers.{i}.conv.weight";
                int ownIns = i == 0 ? 1 : config.ConvDim[i - 1], ownK = config.ConvKernel[i];
                var rows = Fill(config.ConvDim[i] * ownIns * ownK, e => !convDrop[i].Contains(e / (ownIns * ownK)));
                mask[own] = mask.TryGetValue(own, out var existing) ? existing.Zip(rows, (a, b) => a && b).ToArray() : rows;
            }
        }

        var h = config.HiddenSize;
        var d = h / config.NumAttentionHeads;
        int[][] headDrop = [[1], [0, 3]];
        (int From, int To)[] ffnDrop = [(0, 20), (10, 50)];
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            var layer = l;
            var prefix = $"encoder.layers.{l}.";
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj" })
            {
                mask[prefix + $"attention.{proj}.weight"] = Fill(h * h, e => !headDrop[layer].Contains(e / h / d));
            }

            mask[prefix + "attention.out_proj.weight"] = Fill(h * h, e => !headDrop[layer].Contains(e % h / d));
            var f = config.IntermediateSize;
            bool Unit(int j) => j < ffnDrop[layer].From || j >= ffnDrop[layer].To;
            mask[prefix + "feed_forward.intermediate_dense.weight"] = Fill(f * h, e => Unit(e / h));
            mask[prefix + "feed_forward.output_dense.weight"] = Fill(h * f, e => Unit(e % f));
        }

        return mask;
    }

    private static bool[] Fill(int count, Func<int, bool> keep) => Enumerable.Range(0, count).Select(keep).ToArray();
}
