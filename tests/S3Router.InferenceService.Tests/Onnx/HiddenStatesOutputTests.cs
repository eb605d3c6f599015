using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Onnx;

/// <summary>The all-states outputs for statistics pooling: split and whole graphs agree, and other graphs stay without them.</summary>
public sealed class HiddenStatesOutputTests
{
    private const double Tolerance = 1e-5;
    private static readonly int[] Lengths = [2345, 1600];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RunFrames_PaddedBatch_SplitGraphsGiveTheWholeGraphsAllStates(bool stable)
    {
        // Arrange: a masked route, two utterances of different lengths in one batch.
        var config = TinyConfigs.ByStyle(stable);
        var weights = TestWeights.For(config, seed: 61);
        var mask = TestWeights.RandomFfnMask(weights, config.NumHiddenLayers, seed: 62);
        var audio = Lengths.Select((n, i) => Signals.Noise(n, 63 + i, 0.3)).ToArray();
        using var whole = OnnxBackboneSession.Create(config, weights, mask, new OnnxBuildOptions { HiddenStates = true });
        using var frontend = OnnxFrontendSession.Create(config, weights);
        using var encoder = OnnxEncoderSession.Create(config, weights, mask, hiddenStates: true);

        // Act
        var expected = whole.RunFrames(audio);
        var front = frontend.Run(audio, convFeatures: true);
        var layers = encoder.RunHiddenStates([.. front.Select(f => f.Hidden)]);

        // Assert: [frames, W], the last block is the last hidden state.
        var width = config.AllStatesWidth;
        Assert.Equal(config.ConvDim[^1] + ((config.NumHiddenLayers + 1) * config.HiddenSize), width);
        for (var i = 0; i < audio.Length; i++)
        {
            var states = expected[i].States!;
            Assert.Equal(Wav2Vec2OnnxBuilder.OutputFrames(config, Lengths[i]), states.GetLength(0));
            Assert.Equal(width, states.GetLength(1));
            var split = AllStates.Concat(front[i].ConvFeatures!, front[i].Hidden, layers[i]);
            var error = Numerics.RelativeError(split, states);
            Assert.True(error < Tolerance, $"utterance {i}: split vs whole relative error {error:E2}");
            Assert.True(Numerics.RelativeError(AllStates.LastState(states, config.HiddenSize), expected[i].Hidden) < Tolerance);
        }
    }

    [Fact]
    public void Build_WithoutHiddenStates_GraphsHaveNoStatesOutputs()
    {
        var config = TinyConfigs.ByStyle(false);
        var weights = TestWeights.For(config, seed: 64);

        var whole = Wav2Vec2OnnxBuilder.Build(config, weights).Graph.Output.Select(o => o.Name).ToList();
        var encoder = Wav2Vec2OnnxBuilder.BuildEncoder(config, weights).Graph.Output.Select(o => o.Name).ToList();
        var withStates = Wav2Vec2OnnxBuilder.BuildEncoder(config, weights, hiddenStates: true).Graph.Output.Select(o => o.Name).ToList();

        Assert.Equal([Wav2Vec2OnnxBuilder.HiddenStateOutput, Wav2Vec2OnnxBuilder.OutputLengthsOutput], whole);
        Assert.Equal([Wav2Vec2OnnxBuilder.HiddenStateOutput, Wav2Vec2OnnxBuilder.OutputLengthsOutput], encoder);
        Assert.Contains(Wav2Vec2OnnxBuilder.EncoderStatesOutput, withStates);
    }

    [Fact]
    public void Build_HiddenStatesWithTokenDropping_FailedPrecondition()
    {
        var config = TinyConfigs.ByStyle(false);
        var weights = TestWeights.For(config, seed: 65);
        var options = new OnnxBuildOptions { HiddenStates = true, TokenDropping = new TokenDroppingSettings { SilenceDbfs = -50 } };

        var error = Assert.Throws<FailedPreconditionException>(() => Wav2Vec2OnnxBuilder.Build(config, weights, null, options));

        Assert.Contains("Token dropping", error.Message);
    }
}
