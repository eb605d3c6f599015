using S3Router.Core.Backbones;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Tests.Onnx;

/// <summary>
/// The ONNX engine against an independent implementation: tests/reference/wav2vec2_reference.py builds torchaudio's
/// wav2vec2 from a config.json with random weights and writes them with Hugging Face names plus expected hidden states.
/// </summary>
public sealed class TorchaudioReferenceTests
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData(false, "")]
    [InlineData(true, "wav2vec2.")]
    public async Task OpenSessionAsync_TorchaudioCheckpoint_MatchesTorchaudioHiddenStates(bool stable, string prefix)
    {
        using var temp = new TempDirectory();
        var (directory, audio, expected) = RunReference(temp.Path, TinyReferenceConfig(stable), prefix);
        using var session = await BackboneCheckpoint.OpenSessionAsync(directory, cancellationToken: TestContext.Current.CancellationToken);

        var batched = session.Run(audio);
        var alone = audio.Select(a => session.Run([a])[0]).ToArray();

        Assert.Equal(3, expected.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var errorAlone = TinyBackbones.RelativeError(alone[i], expected[i]);
            var errorBatched = TinyBackbones.RelativeError(batched[i], expected[i]);
            Assert.True(errorAlone < Tolerance, $"utterance {i} alone: relative error {errorAlone:E2}");
            Assert.True(errorBatched < Tolerance, $"utterance {i} in a batch: relative error {errorBatched:E2}");
        }
    }

    /// <summary>Hidden 48 / 2 layers, 3 conv layers (hop 20 samples), odd or even positional kernel.</summary>
    private static Wav2Vec2Config TinyReferenceConfig(bool stable) => new()
    {
        HiddenSize = 48,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        IntermediateSize = 96,
        FeatExtractNorm = stable ? "layer" : "group",
        DoStableLayerNorm = stable,
        ConvDim = stable ? [24, 40, 40] : [32, 32, 32],
        ConvKernel = [10, 3, 2],
        ConvStride = [5, 2, 2],
        ConvBias = stable,
        NumConvPosEmbeddings = stable ? 15 : 16,
        NumConvPosEmbeddingGroups = stable ? 3 : 4,
    };

    private static (string Directory, float[][] Audio, float[][,] Expected) RunReference(string directory, Wav2Vec2Config config, string prefix)
    {
        var configPath = Path.Combine(directory, "input_config.json");
        File.WriteAllText(configPath, Wav2Vec2ConfigJson.Serialize(config));
        var outDir = Path.Combine(directory, "reference");
        List<string> arguments =
        [
            ReferenceScript(), configPath, outDir, "--seed", "5", "--lengths", "0.1,0.173,0.2",
            "--no-intermediates", "--no-verify",
        ];
        if (prefix.Length > 0)
        {
            arguments.Add("--prefix=" + prefix);
        }

        Python.Run([.. arguments]);
        var audio = Enumerable.Range(0, 3).Select(i => NpyFile.ReadFloat32(Path.Combine(outDir, $"input_{i}.npy")).Data).ToArray();
        var expected = Enumerable.Range(0, 3).Select(i => ToMatrix(NpyFile.ReadFloat32(Path.Combine(outDir, $"expected_{i}.npy")))).ToArray();
        return (outDir, audio, expected);
    }

    private static string ReferenceScript()
    {
        // tests/reference/ sits two levels above this project's folder.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "reference", "wav2vec2_reference.py");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("tests/reference/wav2vec2_reference.py not found above " + AppContext.BaseDirectory);
    }

    private static float[,] ToMatrix((float[] Data, long[] Shape) array)
    {
        var matrix = new float[array.Shape[0], array.Shape[1]];
        Buffer.BlockCopy(array.Data, 0, matrix, 0, array.Data.Length * sizeof(float));
        return matrix;
    }
}
