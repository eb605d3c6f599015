using System.Globalization;
using System.Text.Json;
using S3Router.Core.Audio;
using S3Router.Core.Backbones;
using S3Router.Core.Masks;
using S3Router.Testing;
using S3Router.TrainingService.Model;

namespace S3Router.Cli.Tests.Commands;

/// <summary><c>s3r train eval</c> on a tiny random backbone, a hand-made bundle and two sine-wave utterances.</summary>
public sealed class TrainEvalCommandTests : IDisposable
{
    private static readonly Wav2Vec2Config TinyConfig = TinyConfigs.StandardFrontend;

    private readonly string _root = Directory.CreateTempSubdirectory("s3r-eval-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task RunAsync_BundleOnTestSplit_PrintsCerAndWerGreedyAndBeam()
    {
        // Arrange
        var (backbone, bundle, manifests) = CreateRoute(["a b |", "b a |"]);
        using var output = new StringWriter();
        using var error = new StringWriter();

        // Act
        var exitCode = await CliApp.RunAsync(
            ["train", "eval", "--backbone", backbone, "--bundle", bundle, "--manifest-dir", manifests, "--json"], output, error,
            TestContext.Current.CancellationToken);

        // Assert
        Assert.True(exitCode == 0, error.ToString());
        var metrics = JsonSerializer.Deserialize<Dictionary<string, double>>(output.ToString())!;
        Assert.Equal(["test_cer", "test_cer_beam", "test_loss", "test_wer", "test_wer_beam"], metrics.Keys.Order(StringComparer.Ordinal));
        Assert.InRange(metrics["test_cer"], 0.0, 10.0);
    }

    [Fact]
    public async Task RunAsync_TableOutput_NamesRouteSplitAndDecoders()
    {
        // Arrange
        var (backbone, bundle, manifests) = CreateRoute(["a b |", "b a |"]);
        using var output = new StringWriter();

        // Act
        var exitCode = await CliApp.RunAsync(
            ["train", "eval", "--backbone", backbone, "--bundle", bundle, "--manifest-dir", manifests], output, TextWriter.Null,
            TestContext.Current.CancellationToken);

        // Assert
        var text = output.ToString();
        Assert.Equal(0, exitCode);
        Assert.Contains("asr/en on split 'test'", text, StringComparison.Ordinal);
        Assert.Contains("2 utterances", text, StringComparison.Ordinal);
        Assert.Contains("greedy", text, StringComparison.Ordinal);
        Assert.Contains("beam", text, StringComparison.Ordinal);
        Assert.Contains("test_wer_beam", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TranscriptWithCharactersOutsideTheLabels_ExitsWithAnErrorNamingThem()
    {
        // Arrange: the route knows a and b only.
        var (backbone, bundle, manifests) = CreateRoute(["a c |", "b a |"]);
        using var error = new StringWriter();

        // Act
        var exitCode = await CliApp.RunAsync(
            ["train", "eval", "--backbone", backbone, "--bundle", bundle, "--manifest-dir", manifests], TextWriter.Null, error,
            TestContext.Current.CancellationToken);

        // Assert
        var message = error.ToString();
        Assert.Equal(1, exitCode);
        Assert.StartsWith("error: vocabulary mismatch: 1 of 2 utterances of split 'test' hold 1 label(s)", message, StringComparison.Ordinal);
        Assert.Contains("'c' (U+0063) ×1", message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_UnknownCharactersAllowed_ScoresAndSaysHowMany()
    {
        // Arrange
        var (backbone, bundle, manifests) = CreateRoute(["a c |", "b a |"]);
        using var output = new StringWriter();

        // Act
        var exitCode = await CliApp.RunAsync(
            ["train", "eval", "--backbone", backbone, "--bundle", bundle, "--manifest-dir", manifests, "--allow-unknown", "--no-beam"], output, TextWriter.Null,
            TestContext.Current.CancellationToken);

        // Assert
        var text = output.ToString();
        Assert.Equal(0, exitCode);
        Assert.Contains("1 transcript characters are outside the route's labels", text, StringComparison.Ordinal);
        Assert.DoesNotContain("test_cer_beam", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_PredictionsFile_HoldsEachUtteranceInManifestOrderWithItsCer()
    {
        // Arrange: two references of equal length, so the split's CER is the mean of the two.
        var (backbone, bundle, manifests) = CreateRoute(["a b |", "b a |"]);
        var file = Path.Combine(_root, "predictions.tsv");
        using var output = new StringWriter();
        using var error = new StringWriter();

        // Act
        var exitCode = await CliApp.RunAsync(
            ["train", "eval", "--backbone", backbone, "--bundle", bundle, "--manifest-dir", manifests, "--json", "--predictions", file], output, error,
            TestContext.Current.CancellationToken);

        // Assert
        Assert.True(exitCode == 0, error.ToString());
        var metrics = JsonSerializer.Deserialize<Dictionary<string, double>>(output.ToString())!;
        var lines = File.ReadAllLines(file);
        Assert.Equal("audio\treference\tgreedy\tgreedy_cer\tbeam\tbeam_cer", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split('\t')).ToList();
        Assert.Equal([Path.Combine(manifests, "u0.wav"), Path.Combine(manifests, "u1.wav")], rows.Select(r => r[0]));
        Assert.Equal(["ab", "ba"], rows.Select(r => r[1]));
        Assert.Equal(metrics["test_cer"], rows.Average(r => double.Parse(r[3], CultureInfo.InvariantCulture)), 3);
        Assert.Equal(metrics["test_cer_beam"], rows.Average(r => double.Parse(r[5], CultureInfo.InvariantCulture)), 3);
        Assert.Contains($"2 predictions written to {file}", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_PredictionsInAMissingFolder_RefusesBeforeScoring()
    {
        // Arrange
        var (backbone, bundle, manifests) = CreateRoute(["a b |"]);
        var file = Path.Combine(_root, "nowhere", "predictions.tsv");
        using var error = new StringWriter();

        // Act
        var exitCode = await CliApp.RunAsync(
            ["train", "eval", "--backbone", backbone, "--bundle", bundle, "--manifest-dir", manifests, "--predictions", file], TextWriter.Null, error,
            TestContext.Current.CancellationToken);

        // Assert
        Assert.NotEqual(0, exitCode);
        Assert.Contains($"--predictions: folder '{Path.Combine(_root, "nowhere")}' does not exist.", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("scoring", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_BundleWithoutBackbone_RefusesWithAHint()
    {
        // Arrange
        var (_, bundle, manifests) = CreateRoute(["a b |"]);
        using var error = new StringWriter();

        // Act
        var exitCode = await CliApp.RunAsync(["train", "eval", "--bundle", bundle, "--manifest-dir", manifests], TextWriter.Null, error,
            TestContext.Current.CancellationToken);

        // Assert
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--bundle needs --backbone", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A random tiny backbone, a bundle for it (half of one FFN weight masked, a random CTC head over blank, |, a, b) and a test split.</summary>
    private (string Backbone, string Bundle, string Manifests) CreateRoute(IReadOnlyList<string> transcripts)
    {
        var backbone = Path.Combine(_root, "backbone");
        TorchSharp.torch.manual_seed(3);
        using (var model = Wav2Vec2Model.Create(TinyConfig))
        {
            model.SaveHuggingFace(backbone);
        }

        var random = new Random(5);
        float[] Values(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5))];
        var bundle = new MaskBundle
        {
            Task = "asr",
            Language = "en",
            BackboneDigest = Sha256Digest.OfFile(Path.Combine(backbone, "model.safetensors")),
            HeadKind = MaskHeadKind.Ctc,
            Labels = ["<blank>", "|", "a", "b"],
            Masks = [MaskTensor.FromBits("encoder.layers.0.feed_forward.intermediate_dense.weight", [64, 32], Enumerable.Range(0, 64 * 32).Select(i => i % 2 == 0).ToArray())],
            Heads = [new HeadTensor("head.proj.weight", [4, 32], Values(4 * 32)), new HeadTensor("head.proj.bias", [4], Values(4))],
        };
        var bundlePath = Path.Combine(_root, "route.safetensors");
        bundle.WriteToFile(bundlePath);

        var manifests = Path.Combine(_root, "manifests");
        Directory.CreateDirectory(manifests);
        var tsv = new List<string> { manifests };
        for (var i = 0; i < transcripts.Count; i++)
        {
            var samples = Enumerable.Range(0, 8000).Select(t => (float)(0.3 * Math.Sin(2 * Math.PI * (200 + (100 * i)) * t / 16000))).ToArray();
            File.WriteAllBytes(Path.Combine(manifests, $"u{i}.wav"), WavWriter.Write(samples, 16000));
            tsv.Add($"u{i}.wav\t{samples.Length}");
        }

        File.WriteAllLines(Path.Combine(manifests, "test.tsv"), tsv);
        File.WriteAllLines(Path.Combine(manifests, "test.ltr"), transcripts);
        return (backbone, bundlePath, manifests);
    }
}
