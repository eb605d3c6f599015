using System.CommandLine;
using S3Router.Core.Audio;
using S3Router.Core.Backbones;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;
using S3Router.Core.Tensors;
using S3Router.InferenceService.Onnx;
using S3Router.TrainingService.Model;
using Spectre.Console;

namespace S3Router.Cli.Commands;

/// <summary><c>s3r backbone init|inspect|export-onnx|features</c>: local backbone directories (config.json + model.safetensors).</summary>
internal static class BackboneCommand
{
    public static Command Create() => new("backbone", "Local backbone directories: create, inspect, export to ONNX, extract features")
    {
        Init(), Inspect(), ExportOnnx(), Features(),
    };

    private static Command Init()
    {
        var preset = new Option<string>("--preset") { Description = "Architecture: tiny, base or large", Required = true };
        preset.AcceptOnlyFromAmong([.. Wav2Vec2Config.PresetNames]);
        var seed = new Option<long>("--seed") { Description = "Seed of the random weights", DefaultValueFactory = _ => 0 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Directory to create (must not hold a backbone yet)", Required = true };
        var command = new Command("init", "Create a randomly initialized backbone in Hugging Face layout (TorchSharp)") { preset, seed, output };
        command.SetAction(async (parse, ct) =>
        {
            var config = Wav2Vec2Config.FromPreset(parse.GetValue(preset)!);
            var directory = parse.GetValue(output)!.FullName;
            var weightsPath = Path.Combine(directory, BackboneCheckpoint.WeightsFileName);
            if (File.Exists(weightsPath))
            {
                throw new Core.Errors.InvalidInputException($"{directory} already holds a backbone; choose another --out.", "--out");
            }

            TorchSharp.torch.manual_seed(parse.GetValue(seed));
            using (var model = Wav2Vec2Model.Create(config))
            {
                model.SaveHuggingFace(directory);
            }

            var digest = await Sha256Digest.OfFileAsync(weightsPath, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(
                $"created {parse.GetValue(preset)} backbone in {directory}: {BackboneParameterShapes.CountParameters(config):N0} parameters, sha256:{digest}");
            return 0;
        });
        return command;
    }

    private static Command Inspect()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "Backbone directory with config.json and model.safetensors" };
        var command = new Command("inspect", "Show a backbone's architecture, parameter count, digest and tensors") { dir };
        command.SetAction(async (parse, ct) =>
        {
            var directory = parse.GetValue(dir)!.FullName;
            var config = await Wav2Vec2ConfigJson.LoadAsync(Path.Combine(directory, Wav2Vec2ConfigJson.FileName), ct);
            var weightsPath = Path.Combine(directory, BackboneCheckpoint.WeightsFileName);
            var digest = await Sha256Digest.OfFileAsync(weightsPath, ct);
            using var file = SafetensorsFile.Open(weightsPath);
            var tensors = file.Tensors.Values.ToList();
            var dtypes = tensors.GroupBy(t => t.Dtype).OrderBy(g => g.Key).Select(g => $"{g.Key} ×{g.Count()}");

            var table = new Table().AddColumn("Property").AddColumn("Value");
            table.AddRow("Directory", Markup.Escape(directory));
            table.AddRow("Model type", Markup.Escape(config.ModelType));
            table.AddRow("Style", config.DoStableLayerNorm
                ? "stable layer norm (layer-norm conv blocks, pre-LN encoder)"
                : $"base ({config.FeatExtractNorm}-norm conv blocks, post-LN encoder)");
            table.AddRow("Hidden / FFN", $"{config.HiddenSize} / {config.IntermediateSize}");
            table.AddRow("Layers / heads", $"{config.NumHiddenLayers} / {config.NumAttentionHeads}");
            table.AddRow("Conv layers", $"{config.NumFeatExtractLayers} (channels {string.Join(",", config.ConvDim)}; hop {config.FrameHopSamples} samples)");
            table.AddRow("Positional conv", $"kernel {config.NumConvPosEmbeddings}, {config.NumConvPosEmbeddingGroups} groups");
            table.AddRow("Parameters", $"{tensors.Sum(t => t.ElementCount):N0}");
            table.AddRow("Tensors", tensors.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("Dtypes", string.Join(", ", dtypes));
            table.AddRow("Digest", $"sha256:{digest}");
            OutputConsole.Create(parse, redirectedWidth: 160).Write(table); // no terminal to measure: keep digests and paths on one line
            return 0;
        });
        return command;
    }

    private static Command ExportOnnx()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "Backbone directory with config.json and model.safetensors" };
        var output = new Option<FileInfo>("--out") { Description = "The .onnx file to write", Required = true };
        var mask = MaskOption();
        var command = new Command("export-onnx", "Write the backbone as an ONNX model (IR 8, opset 17), optionally with a route mask applied") { dir, output, mask };
        command.SetAction(async (parse, ct) =>
        {
            var directory = parse.GetValue(dir)!.FullName;
            var (config, weights) = await BackboneCheckpoint.LoadAsync(directory, ct);
            var masks = await LoadMaskAsync(parse.GetValue(mask), directory, ct);
            var bytes = Wav2Vec2OnnxBuilder.BuildBytes(config, weights, masks);
            var path = parse.GetValue(output)!.FullName;
            await File.WriteAllBytesAsync(path, bytes, ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(
                $"wrote {path} ({bytes.Length:N0} bytes{(masks is null ? "" : $", {masks.Count} masked tensors")})");
            return 0;
        });
        return command;
    }

    private static Command Features()
    {
        var backbone = new Option<DirectoryInfo>("--backbone") { Description = "Backbone directory with config.json and model.safetensors", Required = true };
        var audio = new Option<FileInfo>("--audio") { Description = "WAV file (any rate and channel count; averaged to mono, resampled to 16 kHz)", Required = true };
        var engine = new Option<string>("--engine") { Description = "torch (TorchSharp) or onnx (ONNX Runtime)", DefaultValueFactory = _ => "onnx" };
        engine.AcceptOnlyFromAmong("torch", "onnx");
        var mask = MaskOption();
        var output = new Option<FileInfo>("--out") { Description = "The .npy file to write: float32 [frames, hidden]", Required = true };
        var command = new Command("features", "Write the last hidden state of one utterance as a float32 .npy [frames, hidden]")
        {
            backbone, audio, engine, mask, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            var directory = parse.GetValue(backbone)!.FullName;
            var audioPath = parse.GetValue(audio)!.FullName;
            if (!File.Exists(audioPath))
            {
                throw new Core.Errors.NotFoundException($"audio file '{audioPath}' does not exist");
            }

            var samples = AudioDecoder.Decode(await File.ReadAllBytesAsync(audioPath, ct), AudioEncoding.EncodingUnspecified, 0).Samples;
            var masks = await LoadMaskAsync(parse.GetValue(mask), directory, ct);
            float[,] hidden;
            if (parse.GetValue(engine) == "torch")
            {
                // Every linear layer masked but keeping all, then the bundle's masks imported: unlisted layers stay W.
                var masking = masks is null ? null : new MaskingOptions { Scope = MaskScope.AllLinear, PruneRate = 1.0 };
                using var model = Wav2Vec2Model.LoadHuggingFace(directory, masking);
                if (masks is not null)
                {
                    model.ImportMasks(masks.ToDictionary(m => StripPrefix(m.Key), m => m.Value, StringComparer.Ordinal));
                }

                hidden = model.ExtractFeatures(samples);
            }
            else
            {
                using var session = await BackboneCheckpoint.OpenSessionAsync(directory, masks, cancellationToken: ct);
                hidden = session.Run([samples])[0];
            }

            var path = parse.GetValue(output)!.FullName;
            NpyFile.Write(path, hidden);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"wrote {path} [{hidden.GetLength(0)}, {hidden.GetLength(1)}] float32");
            return 0;
        });
        return command;
    }

    private static Option<FileInfo?> MaskOption() => new("--mask") { Description = "Mask bundle (.safetensors) to apply; must fit the backbone" };

    /// <summary>Reads the bundle and checks it against the backbone's digest and shapes (FailedPrecondition when it does not fit).</summary>
    private static async Task<Dictionary<string, bool[]>?> LoadMaskAsync(FileInfo? bundlePath, string directory, CancellationToken ct)
    {
        if (bundlePath is null)
        {
            return null;
        }

        var bundle = MaskBundle.Read(bundlePath.FullName);
        var weightsPath = Path.Combine(directory, BackboneCheckpoint.WeightsFileName);
        var digest = await Sha256Digest.OfFileAsync(weightsPath, ct);
        using (var file = SafetensorsFile.Open(weightsPath))
        {
            bundle.CheckCompatible(digest, file.Tensors.ToDictionary(t => StripPrefix(t.Key), t => t.Value.Shape.ToArray(), StringComparer.Ordinal));
        }

        return bundle.Masks.ToDictionary(m => m.Name, m => m.Unpack(), StringComparer.Ordinal);
    }

    private static string StripPrefix(string name)
    {
        foreach (var prefix in new[] { "wav2vec2.", "hubert." })
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return name[prefix.Length..];
            }
        }

        return name;
    }
}
