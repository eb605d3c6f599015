using S3Router.Testing;
using S3Router.TrainingService.Model;

namespace S3Router.ModelParity.Tests.Parity;

/// <summary>
/// The TorchSharp engine against torchaudio (tests/reference/wav2vec2_reference.py): random weights written in
/// Hugging Face layout, loaded through <see cref="Wav2Vec2Model.LoadHuggingFace"/>.
/// </summary>
public sealed class TorchaudioParityTests
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData(false, "")]
    [InlineData(false, "wav2vec2.")]
    [InlineData(true, "")]
    [InlineData(true, "wav2vec2.")]
    public void ExtractFeatures_TorchaudioCheckpoint_MatchesTorchaudioAloneAndBatched(bool stable, string prefix)
    {
        // Arrange
        using var temp = new TempDirectory();
        var (directory, audio, expected) = TorchaudioReference.Run(temp.Path, TinyConfigs.Reference(stable), prefix);
        using var model = Wav2Vec2Model.LoadHuggingFace(directory);

        // Act
        var alone = audio.Select(model.ExtractFeatures).ToList();
        var batched = model.ExtractFeatures(audio);

        // Assert: three different lengths, so the batch is padded.
        Assert.Equal(3, audio.Select(a => a.Length).Distinct().Count());
        for (var i = 0; i < expected.Length; i++)
        {
            var errorAlone = Numerics.RelativeError(alone[i], expected[i]);
            var errorBatched = Numerics.RelativeError(batched[i], expected[i]);
            Assert.True(errorAlone < Tolerance, $"utterance {i} alone: relative error {errorAlone:E2}");
            Assert.True(errorBatched < Tolerance, $"utterance {i} in a batch: relative error {errorBatched:E2}");
        }
    }
}
