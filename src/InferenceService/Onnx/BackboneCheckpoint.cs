using S3Router.Core.Backbones;
using S3Router.Core.Safetensors;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// Reads a backbone directory (<c>config.json</c> + <c>model.safetensors</c>, Hugging Face names with or without the
/// <c>wav2vec2.</c>/<c>hubert.</c> prefix) into the inputs of <see cref="Wav2Vec2OnnxBuilder"/>.
/// </summary>
public static class BackboneCheckpoint
{
    /// <summary>The weights file inside a backbone directory.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>Loads the config and every float tensor of the directory (F16/BF16/F64 converted to float32).</summary>
    /// <exception cref="S3Router.Core.Errors.NotFoundException">A file is missing.</exception>
    /// <exception cref="S3Router.Core.Errors.InvalidInputException">Bad config or a non-float tensor.</exception>
    public static async Task<(Wav2Vec2Config Config, Dictionary<string, WeightTensor> Weights)> LoadAsync(
        string directory, CancellationToken cancellationToken = default)
    {
        var config = await Wav2Vec2ConfigJson.LoadAsync(Path.Combine(directory, Wav2Vec2ConfigJson.FileName), cancellationToken);
        return (config, ReadWeights(Path.Combine(directory, WeightsFileName)));
    }

    /// <summary>Every tensor of a safetensors file as float32, under its stored name.</summary>
    public static Dictionary<string, WeightTensor> ReadWeights(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var weights = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var (name, info) in file.Tensors)
        {
            weights[name] = new WeightTensor(file.ReadFloat32(name), [.. info.Shape]);
        }

        return weights;
    }

    /// <summary>Loads the directory and builds its session (optionally with a route mask).</summary>
    public static async Task<OnnxBackboneSession> OpenSessionAsync(
        string directory,
        IReadOnlyDictionary<string, bool[]>? mask = null,
        OnnxEngineOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var (config, weights) = await LoadAsync(directory, cancellationToken);
        return OnnxBackboneSession.Create(config, weights, mask, options);
    }
}
