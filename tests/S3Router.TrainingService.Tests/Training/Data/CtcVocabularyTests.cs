using S3Router.TrainingService.Training.Data;

namespace S3Router.TrainingService.Tests.Training.Data;

public sealed class CtcVocabularyTests
{
    [Fact]
    public void FromTranscripts_Letters_PutsBlankThenBoundaryThenCharactersByCount()
    {
        // Act
        var vocabulary = CtcVocabulary.FromTranscripts([["b", "a", "|"], ["a", "c", "|"]]);

        // Assert
        Assert.Equal(["<blank>", "|", "a", "b", "c"], vocabulary.Labels);
    }

    [Fact]
    public void FromDictionary_FairseqDict_KeepsFileOrderAndSkipsSpecials()
    {
        // Arrange
        var path = Path.GetTempFileName();
        File.WriteAllLines(path, ["| 100", "E 50", "<unk> 1", "T 40"]);

        // Act
        var vocabulary = CtcVocabulary.FromDictionary(path);
        File.Delete(path);

        // Assert
        Assert.Equal(["<blank>", "|", "E", "T"], vocabulary.Labels);
    }

    [Fact]
    public void Tokenize_WordLine_SplitsCharactersWithBoundaryAfterEachWord()
    {
        // Act
        var tokens = CtcVocabulary.Tokenize("go now", isWordLabels: true);

        // Assert
        Assert.Equal(["g", "o", "|", "n", "o", "w", "|"], tokens);
    }

    [Fact]
    public void Encode_UnknownToken_DropsAndCountsIt()
    {
        // Arrange
        var vocabulary = new CtcVocabulary(["<blank>", "|", "a"]);

        // Act
        var indices = vocabulary.Encode(["a", "z", "|"], out var unknown);

        // Assert
        Assert.Equal([2L, 1L], indices);
        Assert.Equal(1, unknown);
    }
}
