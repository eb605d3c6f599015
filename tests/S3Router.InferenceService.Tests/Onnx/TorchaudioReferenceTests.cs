using System.Text.Json;
using S3Router.Core.Backbones;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Tests.Onnx;

/// <summary>
/// The ONNX engine against an independent implementation: torchaudio's wav2vec2 with random weights, renamed to
/// Hugging Face names by Onnx/torchaudio_reference.py.
/// </summary>
public sealed class TorchaudioReferenceTests
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData("base")]
    [InlineData("stable")]
    public void Run_TorchaudioWeights_MatchesTorchaudioHiddenStates(string style)
    {
        using var temp = new TempDirectory();
        var script = Path.Combine(AppContext.BaseDirectory, "Onnx", "torchaudio_reference.py");
        Python.Run(script, temp.Path, style, "17");
        var config = JsonSerializer.Deserialize<Wav2Vec2Config>(
            File.ReadAllText(Path.Combine(temp.Path, "config.json")),
            new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!;
        var weights = Directory.GetFiles(Path.Combine(temp.Path, "weights"), "*.npy").ToDictionary(
            f => Path.GetFileNameWithoutExtension(f),
            f =>
            {
                var (data, shape) = NpyFile.ReadFloat32(f);
                return new WeightTensor(data, shape);
            });
        var audio = Directory.GetFiles(temp.Path, "audio_*.npy").Order().Select(f => NpyFile.ReadFloat32(f).Data).ToArray();
        var expected = Directory.GetFiles(temp.Path, "expected_*.npy").Order().Select(f => ToMatrix(NpyFile.ReadFloat32(f))).ToArray();
        Assert.Equal(style == "stable", config.DoStableLayerNorm);
        using var session = OnnxBackboneSession.Create(config, weights);

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

    private static float[,] ToMatrix((float[] Data, long[] Shape) array)
    {
        var matrix = new float[array.Shape[0], array.Shape[1]];
        Buffer.BlockCopy(array.Data, 0, matrix, 0, array.Data.Length * sizeof(float));
        return matrix;
    }
}
