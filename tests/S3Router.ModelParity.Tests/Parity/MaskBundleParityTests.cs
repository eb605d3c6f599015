using S3Router.Core.Backbones;
using S3Router.Core.Masks;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;
using S3Router.TrainingService.Model;
using static TorchSharp.torch;

namespace S3Router.ModelParity.Tests.Parity;

/// <summary>
/// TorchSharp (training) and ONNX Runtime (inference) on the same backbone and the same route: random masks exported
/// by the training engine into a bundle file, read back, checked against the backbone and applied in both engines.
/// </summary>
public sealed class MaskBundleParityTests
{
    private const double Tolerance = 1e-4;
    private static readonly int[] Lengths = [2345, 1600, 3001];

    [Theory]
    [InlineData(false, MaskScope.FeedForward, 0.9)]
    [InlineData(true, MaskScope.FeedForwardAndAttention, 0.5)]
    [InlineData(false, MaskScope.AllLinear, 0.3)]
    public async Task Run_RandomMaskBundle_TorchSharpAndOnnxAgree(bool stable, MaskScope scope, double keep)
    {
        // Arrange: a trained-looking route = random scores, hard masks exported into a bundle on disk.
        using var temp = new TempDirectory();
        var config = TinyConfigs.ByStyle(stable);
        manual_seed(21);
        using (var source = Wav2Vec2Model.Create(config))
        {
            source.SaveHuggingFace(temp.Path);
        }

        var digest = Sha256Digest.OfFile(temp.Combine(BackboneCheckpoint.WeightsFileName));
        var bundlePath = temp.Combine("route.safetensors");
        using (var trainer = Wav2Vec2Model.LoadHuggingFace(temp.Path, new MaskingOptions { Scope = scope, PruneRate = keep }))
        {
            trainer.InitializeScores(ScoreInit.KaimingUniform);
            RouteBundle(digest, trainer.ExportMasks()).WriteToFile(bundlePath);
        }

        var bundle = MaskBundle.Read(bundlePath);
        var (_, weights) = await BackboneCheckpoint.LoadAsync(temp.Path, TestContext.Current.CancellationToken);
        bundle.CheckCompatible(digest, weights.ToDictionary(w => w.Key, w => w.Value.Shape));
        var masks = bundle.Masks.ToDictionary(m => m.Name, m => m.Unpack());
        var audio = Lengths.Select((n, i) => Signals.Noise(n, 30 + i, 0.5)).ToArray();

        using var torchModel = Wav2Vec2Model.LoadHuggingFace(temp.Path, new MaskingOptions { Scope = scope, PruneRate = 1.0 });
        torchModel.ImportMasks(masks);
        using var session = await BackboneCheckpoint.OpenSessionAsync(temp.Path, masks, cancellationToken: TestContext.Current.CancellationToken);
        using var unmasked = await BackboneCheckpoint.OpenSessionAsync(temp.Path, cancellationToken: TestContext.Current.CancellationToken);

        // Act
        var torchOutputs = torchModel.ExtractFeatures(audio);
        var onnxOutputs = session.Run(audio);
        var plainOutputs = unmasked.Run(audio);

        // Assert
        Assert.Equal(BackboneParameterShapes.MaskableTensors(config, scope).Count, bundle.Masks.Count);
        for (var i = 0; i < audio.Length; i++)
        {
            var error = Numerics.RelativeError(onnxOutputs[i], torchOutputs[i]);
            Assert.True(error < Tolerance, $"utterance {i}: ONNX vs TorchSharp relative error {error:E2}");
            Assert.True(Numerics.RelativeError(plainOutputs[i], torchOutputs[i]) > 1e-2, $"utterance {i}: the mask had no effect");
        }
    }

    private static MaskBundle RouteBundle(string digest, IReadOnlyList<MaskTensor> masks) => new()
    {
        Task = "asr",
        Language = "en",
        BackboneDigest = digest,
        HeadKind = MaskHeadKind.Ctc,
        Labels = ["<blank>", "a", "b"],
        Masks = masks,
        Heads = [new HeadTensor("head.weight", [3, 32], new float[3 * 32])],
    };
}
