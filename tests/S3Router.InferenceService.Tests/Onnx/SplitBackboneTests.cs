using S3Router.Core.Errors;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Onnx;

public sealed class SplitBackboneTests
{
    private const double Tolerance = 1e-5;
    private static readonly int[] Lengths = [2345, 1600, 3001];

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void FrontendThenEncoder_BatchOfDifferentLengths_EqualsWholeGraph(bool stable, bool masked)
    {
        var config = TinyConfigs.ByStyle(stable);
        var weights = TestWeights.For(config, seed: 21);
        var mask = masked ? TestWeights.RandomFfnMask(weights, config.NumHiddenLayers, seed: 22) : null;
        var audio = Lengths.Select((n, i) => Signals.Noise(n, 30 + i, 0.3)).ToArray();
        using var whole = OnnxBackboneSession.Create(config, weights, mask);
        using var frontend = OnnxFrontendSession.Create(config, weights);
        using var encoder = OnnxEncoderSession.Create(config, weights, mask);

        var expected = whole.Run(audio);
        var features = frontend.Run(audio);
        // The encoder batch differs from the frontend batch (reversed), as when routes batch separately.
        var actual = encoder.Run([.. features.Reverse()]).Reverse().ToArray();

        for (var i = 0; i < audio.Length; i++)
        {
            Assert.Equal(Wav2Vec2OnnxBuilder.OutputFrames(config, Lengths[i]), features[i].GetLength(0));
            Assert.True(Numerics.RelativeError(actual[i], expected[i]) < Tolerance,
                $"utterance {i}: relative error {Numerics.RelativeError(actual[i], expected[i]):E2}");
        }
    }

    [Fact]
    public void BuildEncoder_MaskedEncoder_DiffersFromUnmasked()
    {
        var config = TinyConfigs.ByStyle(false);
        var weights = TestWeights.For(config, seed: 23);
        var audio = new[] { Signals.Noise(2000, 40, 0.3) };
        using var frontend = OnnxFrontendSession.Create(config, weights);
        using var masked = OnnxEncoderSession.Create(config, weights, TestWeights.RandomFfnMask(weights, config.NumHiddenLayers, seed: 24));
        using var unmasked = OnnxEncoderSession.Create(config, weights);
        var features = frontend.Run(audio);

        var error = Numerics.RelativeError(masked.Run(features)[0], unmasked.Run(features)[0]);

        Assert.True(error > 1e-3, $"the mask had no effect ({error:E2})");
    }

    [Fact]
    public void BuildFrontendAndEncoder_Initializers_SplitTheParametersWithoutOverlap()
    {
        var config = TinyConfigs.ByStyle(false);
        var weights = TestWeights.For(config, seed: 25);

        var frontend = Wav2Vec2OnnxBuilder.BuildFrontend(config, weights).Graph.Initializer.Select(i => i.Name).ToHashSet();
        var encoder = Wav2Vec2OnnxBuilder.BuildEncoder(config, weights).Graph.Initializer.Select(i => i.Name).ToHashSet();

        Assert.Contains("feature_projection.projection.weight", frontend);
        Assert.Contains("encoder.pos_conv_embed.conv.weight", frontend);
        Assert.DoesNotContain("encoder.layers.0.feed_forward.intermediate_dense.weight", frontend);
        Assert.Contains("encoder.layers.0.feed_forward.intermediate_dense.weight", encoder);
        Assert.DoesNotContain("feature_projection.projection.weight", encoder);
        Assert.Empty(frontend.Where(n => !n.StartsWith('/')).Intersect(encoder));
    }

    [Theory]
    [InlineData("feature_projection.projection.weight", false, true)]
    [InlineData("wav2vec2.feature_extractor.conv_layers.0.conv.weight", false, true)]
    [InlineData("encoder.pos_conv_embed.conv.weight", true, true)]
    [InlineData("encoder.layer_norm.weight", false, true)]
    [InlineData("encoder.layer_norm.weight", true, false)]
    [InlineData("encoder.layers.0.attention.q_proj.weight", false, false)]
    [InlineData("encoder.layers.1.feed_forward.output_dense.weight", true, false)]
    public void IsFrontendParameter_Name_TellsWhichGraphHoldsIt(string name, bool stable, bool expected)
    {
        Assert.Equal(expected, Wav2Vec2OnnxBuilder.IsFrontendParameter(TinyConfigs.ByStyle(stable), name));
    }

    [Fact]
    public void BuildEncoder_MaskOnFrontendTensor_ThrowsFailedPrecondition()
    {
        var config = TinyConfigs.ByStyle(false);
        var weights = TestWeights.For(config, seed: 26);
        var mask = new Dictionary<string, bool[]>
        {
            ["feature_projection.projection.weight"] = new bool[weights["wav2vec2.feature_projection.projection.weight"].Data.Length],
        };

        var error = Assert.Throws<FailedPreconditionException>(() => Wav2Vec2OnnxBuilder.BuildEncoder(config, weights, mask));

        Assert.Contains("shared frontend", error.Message);
    }

    [Fact]
    public void EncoderRun_FramesOfWrongWidth_ThrowsInvalidInput()
    {
        var config = TinyConfigs.ByStyle(false);
        using var encoder = OnnxEncoderSession.Create(config, TestWeights.For(config, seed: 27));

        Assert.Throws<InvalidInputException>(() => encoder.Run([new float[3, config.HiddenSize + 1]]));
    }
}
