using S3Router.Core.Backbones;
using S3Router.Core.Tensors;

namespace S3Router.Testing;

/// <summary>
/// Runs tests/reference/wav2vec2_reference.py: torchaudio's wav2vec2 built from a config with random weights, written
/// as a Hugging Face backbone directory plus inputs and the expected last hidden state of each input alone.
/// </summary>
public static class TorchaudioReference
{
    /// <summary>Writes the reference for <paramref name="config"/> under <paramref name="directory"/>/reference.</summary>
    /// <param name="directory">Scratch folder.</param>
    /// <param name="config">The architecture.</param>
    /// <param name="prefix">Prefix of every tensor name in model.safetensors (e.g. <c>wav2vec2.</c>), or empty.</param>
    /// <param name="seed">Seed of weights and audio.</param>
    /// <param name="seconds">Input durations in seconds.</param>
    /// <returns>The backbone directory, the inputs and the expected [frames, hidden] outputs.</returns>
    public static (string Directory, float[][] Audio, float[][,] Expected) Run(
        string directory, Wav2Vec2Config config, string prefix = "", int seed = 5, params double[] seconds)
    {
        if (seconds.Length == 0)
        {
            seconds = [0.1, 0.173, 0.2];
        }

        var configPath = Path.Combine(directory, "input_config.json");
        File.WriteAllText(configPath, Wav2Vec2ConfigJson.Serialize(config));
        var outDir = Path.Combine(directory, "reference");
        List<string> arguments =
        [
            RepositoryPaths.ReferenceScript, configPath, outDir, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--lengths", string.Join(",", seconds.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            "--no-intermediates", "--no-verify",
        ];
        if (prefix.Length > 0)
        {
            arguments.Add("--prefix=" + prefix);
        }

        Python.Run([.. arguments]);
        var audio = seconds.Select((_, i) => NpyFile.ReadFloat32(Path.Combine(outDir, $"input_{i}.npy")).Data).ToArray();
        var expected = seconds.Select((_, i) => NpyFile.ReadFloat32(Path.Combine(outDir, $"expected_{i}.npy")).ToMatrix()).ToArray();
        return (outDir, audio, expected);
    }
}
