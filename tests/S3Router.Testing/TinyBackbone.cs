using S3Router.Core.Backbones;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;

namespace S3Router.Testing;

/// <summary>A backbone directory (config.json + model.safetensors) with seeded random weights, as tests serve it.</summary>
/// <param name="Directory">The backbone directory.</param>
/// <param name="Config">Its architecture.</param>
/// <param name="Hex">sha256 of model.safetensors in lowercase hex (the backbone digest without <c>sha256:</c>).</param>
/// <param name="Shapes">Every tensor name in model.safetensors with its shape, as the registry wants them.</param>
public sealed record TinyBackbone(string Directory, Wav2Vec2Config Config, string Hex, IReadOnlyList<(string Name, long[] Shape)> Shapes)
{
    /// <summary>Writes <paramref name="config"/> with <see cref="RandomCheckpoint.Weights"/> of <paramref name="seed"/> into <paramref name="directory"/>.</summary>
    public static async Task<TinyBackbone> WriteAsync(string directory, Wav2Vec2Config config, int seed, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(directory);
        var weights = RandomCheckpoint.Weights(config, seed);
        var writer = new SafetensorsWriter();
        foreach (var (name, tensor) in weights)
        {
            writer.AddFloat32(name, tensor.Shape, tensor.Data);
        }

        var weightsPath = Path.Combine(directory, "model.safetensors");
        writer.WriteToFile(weightsPath);
        await Wav2Vec2ConfigJson.SaveAsync(config, Path.Combine(directory, Wav2Vec2ConfigJson.FileName), cancellationToken);
        return new TinyBackbone(directory, config, Sha256Digest.OfFile(weightsPath), [.. weights.Select(w => (w.Key, w.Value.Shape))]);
    }
}
