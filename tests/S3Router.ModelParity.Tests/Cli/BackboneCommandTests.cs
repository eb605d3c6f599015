using S3Router.Cli;
using S3Router.Core.Audio;
using S3Router.Core.Backbones;
using S3Router.Core.Masks;
using S3Router.Core.Tensors;
using S3Router.Testing;

namespace S3Router.ModelParity.Tests.Cli;

/// <summary><c>s3r backbone ...</c> run in-process through the real command tree, on a tiny preset backbone.</summary>
public sealed class BackboneCommandTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Backbone_InitInspectExportFeatures_EnginesAgreeAndOnnxPassesChecker()
    {
        // Arrange
        var backbone = _temp.Combine("tiny");
        var wav = WriteWav(_temp.Combine("speech.wav"), seconds: 1.0, rate: 24_000);

        // Act
        var init = await RunAsync("backbone", "init", "--preset", "tiny", "--seed", "3", "--out", backbone);
        var inspect = await RunAsync("backbone", "inspect", backbone);
        var export = await RunAsync("backbone", "export-onnx", backbone, "--out", _temp.Combine("tiny.onnx"));
        var torch = await RunAsync("backbone", "features", "--backbone", backbone, "--audio", wav, "--engine", "torch", "--out", _temp.Combine("torch.npy"));
        var onnx = await RunAsync("backbone", "features", "--backbone", backbone, "--audio", wav, "--engine", "onnx", "--out", _temp.Combine("onnx.npy"));

        // Assert
        Assert.All(new[] { init, inspect, export, torch, onnx }, r => Assert.True(r.ExitCode == 0, r.Error));
        var digest = Sha256Digest.OfFile(Path.Combine(backbone, "model.safetensors"));
        Assert.Contains($"sha256:{digest}", inspect.Output);
        Assert.Contains($"{BackboneParameterShapes.CountParameters(Wav2Vec2Config.Tiny):N0}", inspect.Output);
        Assert.Contains("F32", inspect.Output);
        Assert.Contains("base (group-norm conv blocks", inspect.Output);
        Assert.Equal("ok 8 17", Python.CheckOnnxModel(_temp.Combine("tiny.onnx")));
        var torchFeatures = NpyFile.ReadFloat32(_temp.Combine("torch.npy"));
        var onnxFeatures = NpyFile.ReadFloat32(_temp.Combine("onnx.npy"));
        Assert.Equal([49L, 256L], torchFeatures.Shape); // 1 s at 16 kHz, hop 320: 49 frames of hidden 256
        var error = Numerics.RelativeError(onnxFeatures.ToMatrix(), torchFeatures.ToMatrix());
        Assert.True(error < Tolerance, $"ONNX vs TorchSharp relative error {error:E2}");
    }

    [Fact]
    public async Task BackboneFeatures_WithMaskBundle_EnginesAgreeAndMaskChangesOutput()
    {
        // Arrange
        var backbone = _temp.Combine("tiny");
        var wav = WriteWav(_temp.Combine("speech.wav"), seconds: 0.5, rate: 16_000);
        Assert.Equal(0, (await RunAsync("backbone", "init", "--preset", "tiny", "--seed", "4", "--out", backbone)).ExitCode);
        var bundle = WriteRandomBundle(backbone, _temp.Combine("route.safetensors"), keep: 0.6);

        // Act
        string[] Features(string engine, string output, bool masked) =>
            ["backbone", "features", "--backbone", backbone, "--audio", wav, "--engine", engine, "--out", _temp.Combine(output), .. masked ? new[] { "--mask", bundle } : []];
        var results = new[]
        {
            await RunAsync(Features("torch", "torch.npy", masked: true)),
            await RunAsync(Features("onnx", "onnx.npy", masked: true)),
            await RunAsync(Features("onnx", "plain.npy", masked: false)),
            await RunAsync("backbone", "export-onnx", backbone, "--mask", bundle, "--out", _temp.Combine("masked.onnx")),
        };

        // Assert
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Error));
        var torchFeatures = NpyFile.ReadFloat32(_temp.Combine("torch.npy")).ToMatrix();
        var onnxFeatures = NpyFile.ReadFloat32(_temp.Combine("onnx.npy")).ToMatrix();
        var plain = NpyFile.ReadFloat32(_temp.Combine("plain.npy")).ToMatrix();
        Assert.True(Numerics.RelativeError(onnxFeatures, torchFeatures) < Tolerance);
        Assert.True(Numerics.RelativeError(plain, torchFeatures) > 1e-2, "the mask had no effect");
        Assert.Contains("8 masked tensors", results[3].Output);
    }

    [Fact]
    public async Task BackboneFeatures_MissingBackbone_OneLineErrorAndExitCode1()
    {
        // Arrange
        var wav = WriteWav(_temp.Combine("speech.wav"), seconds: 0.2, rate: 16_000);

        // Act
        var result = await RunAsync("backbone", "features", "--backbone", _temp.Combine("nothing"), "--audio", wav, "--engine", "onnx", "--out", _temp.Combine("x.npy"));

        // Assert
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.Contains("config.json", result.Error);
    }

    [Fact]
    public async Task BackboneExportOnnx_BundleForAnotherBackbone_OneLineErrorAndExitCode1()
    {
        // Arrange
        var first = _temp.Combine("first");
        var second = _temp.Combine("second");
        await RunAsync("backbone", "init", "--preset", "tiny", "--seed", "1", "--out", first);
        await RunAsync("backbone", "init", "--preset", "tiny", "--seed", "2", "--out", second);
        var bundle = WriteRandomBundle(first, _temp.Combine("route.safetensors"), keep: 0.9);

        // Act
        var result = await RunAsync("backbone", "export-onnx", second, "--mask", bundle, "--out", _temp.Combine("x.onnx"));

        // Assert
        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.Contains("was trained on backbone", result.Error);
        Assert.False(File.Exists(_temp.Combine("x.onnx")));
    }

    [Fact]
    public async Task BackboneInit_UnknownPreset_ExitCode1WithoutCreatingAnything()
    {
        // Act
        var result = await RunAsync("backbone", "init", "--preset", "huge", "--out", _temp.Combine("b"));

        // Assert
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("huge", result.Error);
        Assert.False(Directory.Exists(_temp.Combine("b")));
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error, TestContext.Current.CancellationToken);
        return (code, output.ToString(), error.ToString());
    }

    private static string WriteWav(string path, double seconds, int rate)
    {
        var samples = Signals.Noise((int)(seconds * rate), seed: 9, amplitude: 0.4);
        File.WriteAllBytes(path, WavWriter.Write(samples, rate));
        return path;
    }

    /// <summary>A route masking the FFN of the tiny preset at random, for the backbone in <paramref name="backbone"/>.</summary>
    private static string WriteRandomBundle(string backbone, string path, double keep)
    {
        var random = new Random(5);
        var shapes = BackboneParameterShapes.For(Wav2Vec2Config.Tiny);
        var masks = BackboneParameterShapes.MaskableTensors(Wav2Vec2Config.Tiny, MaskScope.FeedForward)
            .Select(name => MaskTensor.FromBits(name, shapes[name], Enumerable.Range(0, (int)shapes[name].Aggregate(1L, (a, b) => a * b)).Select(_ => random.NextDouble() < keep).ToArray()))
            .ToList();
        new MaskBundle
        {
            Task = "asr",
            BackboneDigest = Sha256Digest.OfFile(Path.Combine(backbone, "model.safetensors")),
            HeadKind = MaskHeadKind.Ctc,
            Labels = ["<blank>", "a"],
            Masks = masks,
            Heads = [new HeadTensor("head.weight", [2, 256], new float[512])],
        }.WriteToFile(path);
        return path;
    }
}
