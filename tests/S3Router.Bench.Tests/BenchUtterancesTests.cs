using S3Router.Core.Audio;
using S3Router.Core.Errors;

namespace S3Router.Bench.Tests;

public sealed class BenchUtterancesTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("s3r-bench-utterances-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Load_Manifest_ReadsAudioAndLetterReferences()
    {
        // Arrange
        Write("test", ("a.wav", 1600, "h o l a | m u n d o |"), ("b.wav", 800, "s í |"), ("c.wav", 400, "n o |"));

        // Act
        var utterances = BenchUtterances.Load(_directory.FullName, "test", limit: 2);

        // Assert
        Assert.Equal(2, utterances.Count);
        Assert.Equal("hola mundo", utterances[0].Text);
        Assert.Equal(1600, utterances[0].Samples.Length);
        Assert.Equal("sí", utterances[1].Text);
        Assert.Equal(800, utterances[1].Samples.Length);
    }

    [Fact]
    public void Load_MissingSplit_ThrowsNotFound()
    {
        // Arrange
        Write("test", ("a.wav", 160, "a |"));

        // Act + Assert
        Assert.Throws<NotFoundException>(() => BenchUtterances.Load(_directory.FullName, "valid", limit: 0));
    }

    private void Write(string split, params (string File, int Samples, string Letters)[] items)
    {
        foreach (var (file, samples, _) in items)
        {
            var tone = Enumerable.Range(0, samples).Select(i => 0.1f * MathF.Sin(i * 0.05f)).ToArray();
            File.WriteAllBytes(Path.Combine(_directory.FullName, file), WavWriter.Write(tone, 16_000));
        }

        File.WriteAllLines(Path.Combine(_directory.FullName, split + ".tsv"), [_directory.FullName, .. items.Select(i => $"{i.File}\t{i.Samples}")]);
        File.WriteAllLines(Path.Combine(_directory.FullName, split + ".ltr"), items.Select(i => i.Letters));
    }
}
