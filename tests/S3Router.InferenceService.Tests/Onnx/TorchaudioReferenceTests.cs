using S3Router.InferenceService.Onnx;
using S3Router.Testing;

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
        var (directory, audio, expected) = TorchaudioReference.Run(temp.Path, TinyConfigs.Reference(stable), prefix);
        using var session = await BackboneCheckpoint.OpenSessionAsync(directory, cancellationToken: TestContext.Current.CancellationToken);

        var batched = session.Run(audio);
        var alone = audio.Select(a => session.Run([a])[0]).ToArray();

        Assert.Equal(3, expected.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var errorAlone = Numerics.RelativeError(alone[i], expected[i]);
            var errorBatched = Numerics.RelativeError(batched[i], expected[i]);
            Assert.True(errorAlone < Tolerance, $"utterance {i} alone: relative error {errorAlone:E2}");
            Assert.True(errorBatched < Tolerance, $"utterance {i} in a batch: relative error {errorBatched:E2}");
        }
    }
}
