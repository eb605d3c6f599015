using S3Router.Core.Backbones;
using S3Router.Core.Errors;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Onnx;

public sealed class Wav2Vec2OnnxBuilderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BuildBytes_TinyBackbone_PassesOnnxChecker(bool stable)
    {
        var config = TinyConfigs.ByStyle(stable);
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "model.onnx");
        File.WriteAllBytes(path, Wav2Vec2OnnxBuilder.BuildBytes(config, TestWeights.For(config, seed: 1)));

        var verdict = Python.CheckOnnxModel(path);

        Assert.Equal("ok 8 17", verdict);
    }

    [Fact]
    public void Build_PrefixedCheckpointNames_InitializersArePlainParameterNames()
    {
        var config = TinyConfigs.ByStyle(false);

        var model = Wav2Vec2OnnxBuilder.Build(config, TestWeights.For(config, seed: 1));

        var names = model.Graph.Initializer.Select(t => t.Name).ToHashSet();
        var expected = Wav2Vec2Weights.Expected(config).Select(e => e.Name).ToList();
        Assert.All(expected, name => Assert.Contains(name, names));
        Assert.Contains("encoder.layers.0.feed_forward.intermediate_dense.weight", names);
        Assert.Contains("encoder.pos_conv_embed.conv.weight", names);
        Assert.DoesNotContain(names, n => n.StartsWith("wav2vec2.", StringComparison.Ordinal) || n.EndsWith("weight_g", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_MissingAndMisshapedTensors_ReportsEachByNameWithShapes()
    {
        var config = TinyConfigs.ByStyle(false);
        var weights = TestWeights.For(config, seed: 1);
        weights.Remove("wav2vec2.encoder.layers.1.attention.k_proj.bias");
        weights["wav2vec2.encoder.layers.0.feed_forward.output_dense.weight"] = new WeightTensor(new float[64 * 31], [31, 64]);
        weights["wav2vec2.encoder.extra.weight"] = new WeightTensor([1f], [1]);
        weights["wav2vec2.masked_spec_embed"] = new WeightTensor(new float[32], [32]);

        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2OnnxBuilder.Build(config, weights));

        Assert.Contains("missing 'encoder.layers.1.attention.k_proj.bias'", error.Message);
        Assert.Contains("'encoder.layers.0.feed_forward.output_dense.weight' expected [32, 64], found [31, 64]", error.Message);
        Assert.Contains("unknown 'encoder.extra.weight'", error.Message);
        Assert.DoesNotContain("masked_spec_embed", error.Message);
    }

    [Fact]
    public void Normalize_ParametrizationsNames_FoldLikeWeightGAndV()
    {
        var config = TinyConfigs.ByStyle(true);
        var weights = TestWeights.For(config, seed: 2);
        var renamed = weights.ToDictionary(
            kv => kv.Key.Replace("weight_g", "parametrizations.weight.original0").Replace("weight_v", "parametrizations.weight.original1")
                .Replace("wav2vec2.", "hubert."),
            kv => kv.Value);

        var a = Wav2Vec2Weights.Normalize(weights)[Wav2Vec2Weights.PosConvWeight];
        var b = Wav2Vec2Weights.Normalize(renamed)[Wav2Vec2Weights.PosConvWeight];

        Assert.Equal(a.Shape, b.Shape);
        Assert.Equal(a.Data, b.Data);
    }

    [Fact]
    public void FoldWeightNorm_TwoKernelTaps_ScalesEachTapToItsGain()
    {
        // v [out 2, in 1, K 2]: tap 0 = (3, 4) with norm 5, tap 1 = (1, 0) with norm 1.
        var v = new WeightTensor([3f, 1f, 4f, 0f], [2, 1, 2]);
        var g = new WeightTensor([10f, 2f], [1, 1, 2]);

        var w = Wav2Vec2Weights.FoldWeightNorm(g, v);

        Assert.Equal([6f, 2f, 8f, 0f], w.Data);
        Assert.Equal([2L, 1, 2], w.Shape);
    }

    [Fact]
    public void Build_HeadsNotDividingHidden_ThrowsWithField()
    {
        var valid = TinyConfigs.ByStyle(false);
        var config = valid with { NumAttentionHeads = 5 };

        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2OnnxBuilder.Build(config, TestWeights.For(valid, seed: 1)));

        Assert.Contains(error.Violations, v => v.Field == "num_attention_heads");
    }

    [Theory]
    [InlineData(16000, 49)]
    [InlineData(400, 1)]
    [InlineData(399, 0)]
    [InlineData(0, 0)]
    public void OutputFrames_StandardExtractor_MatchesHuggingFaceFormula(long samples, long frames)
    {
        var config = new Wav2Vec2Config();

        Assert.Equal(frames, Wav2Vec2OnnxBuilder.OutputFrames(config, samples));
        Assert.Equal(400, Wav2Vec2OnnxBuilder.MinimumSamples(config));
    }
}
