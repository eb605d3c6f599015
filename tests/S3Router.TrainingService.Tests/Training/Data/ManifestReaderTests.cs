using S3Router.Core.Errors;
using S3Router.TrainingService.Training.Data;

namespace S3Router.TrainingService.Tests.Training.Data;

public sealed class ManifestReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("s3r-manifest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Read_ManifestWithLetters_ResolvesPathsUnderRootAndPairsLabels()
    {
        // Arrange
        File.WriteAllLines(Path.Combine(_dir, "train.tsv"), ["/data/audio", "a/1.wav\t16000", "b/2.wav\t8000"]);
        File.WriteAllLines(Path.Combine(_dir, "train.ltr"), ["h i |", "y o |", ""]);

        // Act
        var entries = ManifestReader.Read(_dir, "train", "ltr");

        // Assert
        Assert.Equal(2, entries.Count);
        Assert.Equal(new ManifestEntry("/data/audio/a/1.wav", 16000, "h i |"), entries[0]);
        Assert.Equal(8000, entries[1].Samples);
    }

    [Fact]
    public void Read_FewerLabelsThanAudio_ThrowsInvalidInput()
    {
        // Arrange
        File.WriteAllLines(Path.Combine(_dir, "valid.tsv"), ["/data", "1.wav\t100", "2.wav\t100"]);
        File.WriteAllLines(Path.Combine(_dir, "valid.label"), ["yes"]);

        // Act + Assert
        Assert.Throws<InvalidInputException>(() => ManifestReader.Read(_dir, "valid", "label"));
    }

    [Fact]
    public void Read_BadSampleCount_ThrowsInvalidInput()
    {
        // Arrange
        File.WriteAllLines(Path.Combine(_dir, "train.tsv"), ["/data", "1.wav\tmany"]);
        File.WriteAllLines(Path.Combine(_dir, "train.ltr"), ["a |"]);

        // Act + Assert
        Assert.Throws<InvalidInputException>(() => ManifestReader.Read(_dir, "train", "ltr"));
    }

    [Fact]
    public void Read_MissingSplit_ThrowsNotFound()
    {
        // Act + Assert
        Assert.Throws<NotFoundException>(() => ManifestReader.Read(_dir, "test", "ltr"));
    }
}
