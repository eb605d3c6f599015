using S3Router.InferenceService.Onnx;
using S3Router.Testing;
using S3Router.TrainingService.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.ModelParity.Tests.Parity;

/// <summary>
/// The all-states features of the ONNX graphs (docs/formats.md, statistics pooling) against the TorchSharp model's
/// conv features and per-layer hidden states (<see cref="Wav2Vec2Model.ExtractLayerFeatures"/>), for a padded batch.
/// </summary>
public sealed class HiddenStatesParityTests
{
    private const double Tolerance = 1e-4;
    private static readonly int[] Lengths = [3100, 1900];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunFrames_PaddedBatch_AllStatesEqualTorchSharpConvFeaturesAndEveryHiddenState(bool stable)
    {
        // Arrange: random TorchSharp backbone saved in Hugging Face layout, loaded by the ONNX side.
        using var temp = new TempDirectory();
        var config = TinyConfigs.ByStyle(stable);
        manual_seed(31);
        using var model = Wav2Vec2Model.Create(config);
        model.SaveHuggingFace(temp.Path);
        var (_, weights) = await BackboneCheckpoint.LoadAsync(temp.Path, TestContext.Current.CancellationToken);
        var audio = Lengths.Select((n, i) => Signals.Noise(n, 40 + i, 0.5)).ToArray();
        using var whole = OnnxBackboneSession.Create(config, weights, null, new OnnxBuildOptions { HiddenStates = true });
        using var frontend = OnnxFrontendSession.Create(config, weights);
        using var encoder = OnnxEncoderSession.Create(config, weights, null, hiddenStates: true);

        // Act: both utterances in one padded batch on the ONNX side, each alone on the TorchSharp side.
        var wholeStates = whole.RunFrames(audio).Select(o => o.States!).ToArray();
        var front = frontend.Run(audio, convFeatures: true);
        var layers = encoder.RunHiddenStates([.. front.Select(f => f.Hidden)]);
        var splitStates = front.Select((f, i) => AllStates.Concat(f.ConvFeatures!, f.Hidden, layers[i])).ToArray();

        // Assert: each block of x[t] against its TorchSharp state.
        for (var i = 0; i < audio.Length; i++)
        {
            var blocks = new List<(string Name, float[,] Expected)> { ("conv features", TorchConvFeatures(model, audio[i])) };
            for (var layer = 0; layer <= config.NumHiddenLayers; layer++)
            {
                blocks.Add(($"hidden state {layer}", model.ExtractLayerFeatures(audio[i], layer)));
            }

            foreach (var (graph, states) in new[] { ("whole", wholeStates[i]), ("split", splitStates[i]) })
            {
                Assert.Equal(config.AllStatesWidth, states.GetLength(1));
                var offset = 0;
                foreach (var (name, expected) in blocks)
                {
                    var actual = Columns(states, offset, expected.GetLength(1));
                    var error = Numerics.RelativeError(actual, expected);
                    Assert.True(error < Tolerance, $"utterance {i}, {graph} graph, {name}: relative error {error:E2}");
                    offset += expected.GetLength(1);
                }
            }
        }
    }

    // The model's feature_extractor child: [1, frames, conv_dim[-1]] for one unpadded utterance.
    private static float[,] TorchConvFeatures(Wav2Vec2Model model, float[] audio)
    {
        var extractor = (nn.Module<Tensor, Tensor?, (Tensor Features, Tensor? Lengths)>)model.named_children()
            .Single(c => c.name == "feature_extractor").module;
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (features, _) = extractor.call(tensor(audio, [1, audio.Length]), null);
        features = features.contiguous();
        var (frames, width) = ((int)features.shape[1], (int)features.shape[2]);
        var result = new float[frames, width];
        Buffer.BlockCopy(features.data<float>().ToArray(), 0, result, 0, frames * width * sizeof(float));
        return result;
    }

    private static float[,] Columns(float[,] x, int offset, int width)
    {
        var result = new float[x.GetLength(0), width];
        for (var t = 0; t < x.GetLength(0); t++)
        {
            for (var w = 0; w < width; w++)
            {
                result[t, w] = x[t, offset + w];
            }
        }

        return result;
    }
}
