using System.Diagnostics;
using S3Router.Api.V1;
using S3Router.Core.Audio;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training.Heads;
using static TorchSharp.torch;

namespace S3Router.ModelParity.Tests.Parity;

/// <summary>
/// The conv_max head (docs/formats.md, "Route heads") as trained (TorchSharp <see cref="ConvMaxHead"/> on a padded
/// batch of the TorchSharp backbone's all-states features) and as served (the bundle loaded by <see cref="RouteModel"/>,
/// its head on the ONNX whole graph's all-states features of each utterance alone), on the shipped backbone; and an
/// ensemble of them (<see cref="ConvMaxEnsemble"/>) the same way.
/// </summary>
public sealed class ConvMaxHeadParityTests
{
    private const double Tolerance = 1e-4;
    private const string Espeak = "/usr/bin/espeak-ng";
    private static readonly string ModelDirectory = Path.GetDirectoryName(RepositoryPaths.Find(Path.Combine("models", "tiny-ssl", "config.json")))!;

    [Fact]
    public async Task Classify_TrainingHeadInBundle_ServedScoresAndPooledVectorEqualTorchSharp()
    {
        // Arrange: a spoken utterance and a shorter noise one (so the batch pads it), a random head with a non-uniform
        // layer mix and LayerNorm, and a copy whose proj is the identity so its logits are the pooled vector p itself.
        Assert.SkipUnless(File.Exists(Espeak), "needs espeak-ng");
        var ct = TestContext.Current.CancellationToken;
        var audio = new[] { Spoken("turn on the lights"), Signals.Noise(9_000, 3, 0.3) };
        var (config, weights) = await BackboneCheckpoint.LoadAsync(ModelDirectory, ct);
        var digest = Sha256Digest.OfFile(Path.Combine(ModelDirectory, BackboneCheckpoint.WeightsFileName));
        const int width = 24;
        string[] labels = ["lights_on", "lights_off", "music", "weather"];
        manual_seed(17);
        using var head = new ConvMaxHead(config, labels.Length, width, kernel: 5);
        head.Import(Perturbed(head.Export(), seed: 18));
        using var identity = new ConvMaxHead(config, width, width, kernel: 5);
        identity.Import(WithIdentityProj(head.Export(), width));
        using var backbone = Wav2Vec2Model.LoadHuggingFace(ModelDirectory);
        backbone.OutputsAllStates = true;
        var loaded = new LoadedBackbone(config, weights, digest);
        var served = Load(Bundle(head, labels, digest), loaded);
        var servedPooling = Load(Bundle(identity, [.. Enumerable.Range(0, width).Select(i => $"c{i}")], digest), loaded);
        using var session = OnnxBackboneSession.Create(config, weights, null, new OnnxBuildOptions { HiddenStates = true });

        // Act
        var (probabilities, pooled) = TorchSharpHeads(backbone, head, identity, audio);
        var states = session.RunFrames(audio).Select(o => o.States!).ToArray();

        // Assert
        Assert.True(served.NeedsHiddenStates);
        for (var i = 0; i < audio.Length; i++)
        {
            var scores = served.Classifier!.Classify(states[i], labels.Length).ToDictionary(c => c.ClassName, c => c.Score);
            for (var c = 0; c < labels.Length; c++)
            {
                Assert.True(Math.Abs(scores[labels[c]] - probabilities[i][c]) <= Tolerance,
                    $"utterance {i}, class {labels[c]}: served {scores[labels[c]]:F6}, TorchSharp {probabilities[i][c]:F6}");
            }

            var p = servedPooling.Classifier!.Pool(states[i]);
            var error = Math.Sqrt(p.Select((v, o) => (v - pooled[i][o]) * (v - pooled[i][o])).Sum() / pooled[i].Select(v => (double)v * v).Sum());
            Assert.True(error < Tolerance, $"utterance {i}: pooled vector relative error {error:E2}");
            Assert.True(probabilities[i].Max() - probabilities[i].Min() > 0.02, "the head should separate the classes");
        }
    }

    [Fact]
    public async Task Classify_TrainingEnsembleInBundle_ServedScoresEqualTorchSharp()
    {
        // Arrange: three members, each with its own perturbed layer mix and LayerNorm.
        Assert.SkipUnless(File.Exists(Espeak), "needs espeak-ng");
        var ct = TestContext.Current.CancellationToken;
        var audio = new[] { Spoken("what is the weather today"), Signals.Noise(11_000, 4, 0.3) };
        var (config, weights) = await BackboneCheckpoint.LoadAsync(ModelDirectory, ct);
        var digest = Sha256Digest.OfFile(Path.Combine(ModelDirectory, BackboneCheckpoint.WeightsFileName));
        string[] labels = ["lights_on", "lights_off", "music", "weather"];
        manual_seed(19);
        using var ensemble = new ConvMaxEnsemble(config, labels.Length, width: 16, kernel: 3, size: 3);
        ensemble.Import(Perturbed(ensemble.Export(), seed: 20));
        using var backbone = Wav2Vec2Model.LoadHuggingFace(ModelDirectory);
        backbone.OutputsAllStates = true;
        var served = Load(Bundle(ensemble, labels, digest), new LoadedBackbone(config, weights, digest));
        using var session = OnnxBackboneSession.Create(config, weights, null, new OnnxBuildOptions { HiddenStates = true });

        // Act
        var (probabilities, _) = TorchSharpHeads(backbone, ensemble, null, audio);
        var states = session.RunFrames(audio).Select(o => o.States!).ToArray();

        // Assert
        Assert.Equal(3, served.Classifier!.MemberCount);
        for (var i = 0; i < audio.Length; i++)
        {
            var scores = served.Classifier.Classify(states[i], labels.Length).ToDictionary(c => c.ClassName, c => c.Score);
            for (var c = 0; c < labels.Length; c++)
            {
                Assert.True(Math.Abs(scores[labels[c]] - probabilities[i][c]) <= Tolerance,
                    $"utterance {i}, class {labels[c]}: served {scores[labels[c]]:F6}, TorchSharp {probabilities[i][c]:F6}");
            }
        }
    }

    // Softmax of the head and the identity head's logits (= p), per utterance, from one padded batch.
    private static (float[][] Probabilities, float[][] Pooled) TorchSharpHeads(Wav2Vec2Model backbone, TaskHead head, ConvMaxHead? identity, float[][] audio)
    {
        backbone.eval();
        head.eval();
        identity?.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var longest = audio.Max(a => a.Length);
        var padded = new float[audio.Length * longest];
        for (var i = 0; i < audio.Length; i++)
        {
            audio[i].CopyTo(padded, i * longest);
        }

        var (states, frames) = backbone.call(tensor(padded, [audio.Length, longest]), tensor(audio.Select(a => (long)a.Length).ToArray()));
        var probabilities = head.call(states, frames).softmax(1);
        return (Rows(probabilities), identity is null ? [] : Rows(identity.call(states, frames)));
    }

    private static float[][] Rows(Tensor t)
    {
        var (rows, columns) = ((int)t.shape[0], (int)t.shape[1]);
        var data = t.contiguous().data<float>().ToArray();
        return [.. Enumerable.Range(0, rows).Select(r => data.AsSpan(r * columns, columns).ToArray())];
    }

    // layer_logits and the LayerNorm away from their (uniform, identity) initialization, so both are exercised.
    private static Dictionary<string, HostTensor> Perturbed(IReadOnlyList<HeadTensor> tensors, int seed)
    {
        var random = new Random(seed);
        return tensors.ToDictionary(t => t.Name, t =>
        {
            var values = t.Values.ToArray();
            var spread = t.Name.EndsWith(".layer_logits", StringComparison.Ordinal) ? 1.5
                : t.Name.EndsWith(".norm.weight", StringComparison.Ordinal) || t.Name.EndsWith(".norm.bias", StringComparison.Ordinal) ? 0.5
                : 0.0;
            for (var j = 0; j < values.Length; j++)
            {
                values[j] += (float)(spread * ((2 * random.NextDouble()) - 1));
            }

            return new HostTensor(values, [.. t.Shape]);
        });
    }

    private static Dictionary<string, HostTensor> WithIdentityProj(IReadOnlyList<HeadTensor> tensors, int width)
    {
        var result = tensors.ToDictionary(t => t.Name, t => new HostTensor(t.Values.ToArray(), [.. t.Shape]));
        var eye = new float[width * width];
        for (var o = 0; o < width; o++)
        {
            eye[(o * width) + o] = 1f;
        }

        result["head.proj.weight"] = new HostTensor(eye, [width, width]);
        result["head.proj.bias"] = new HostTensor(new float[width], [width]);
        return result;
    }

    private static MaskBundle Bundle(TaskHead head, IReadOnlyList<string> labels, string digest) => new()
    {
        Task = "intent",
        Language = "en",
        BackboneDigest = digest,
        HeadKind = MaskHeadKind.Classifier,
        Labels = labels,
        Masks = [],
        Heads = head.Export(),
    };

    private static RouteModel Load(MaskBundle bundle, LoadedBackbone backbone)
    {
        var bytes = bundle.ToBytes();
        var version = new MaskVersion { Task = bundle.Task, LanguageCode = bundle.Language, Version = 1, Digest = "sha256:" + Sha256Digest.Of(bytes) };
        return RouteModel.Create(version, bytes, backbone);
    }

    private static float[] Spoken(string text)
    {
        var raw = Path.Combine(Path.GetTempPath(), $"s3r-convmax-{Guid.NewGuid():N}.wav");
        try
        {
            using (var process = Process.Start(Espeak, ["-v", "en", "-w", raw, text]))
            {
                process.WaitForExit();
            }

            var wav = WavReader.Read(File.ReadAllBytes(raw));
            return AudioResampler.Resample(wav.Samples, wav.SampleRateHertz, AudioDecoder.TargetSampleRateHertz);
        }
        finally
        {
            File.Delete(raw);
        }
    }
}
