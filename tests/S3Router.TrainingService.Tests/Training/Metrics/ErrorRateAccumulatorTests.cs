using S3Router.TrainingService.Training.Metrics;

namespace S3Router.TrainingService.Tests.Training.Metrics;

public sealed class ErrorRateAccumulatorTests
{
    [Fact]
    public void Add_OneSubstitutedLetter_GivesOneCharOfElevenAndOneWordOfTwo()
    {
        // Arrange
        var rates = new ErrorRateAccumulator();

        // Act
        rates.Add("hello world", "hallo world");

        // Assert
        Assert.Equal(1.0 / 11, rates.CharacterErrorRate, 12);
        Assert.Equal(0.5, rates.WordErrorRate, 12);
    }

    [Fact]
    public void Add_SeveralUtterances_SumsEditsOverSummedReferenceLengths()
    {
        // Arrange
        var rates = new ErrorRateAccumulator();

        // Act: "the cat sat" vs "the cat" = 1 deleted word, 4 deleted chars (" sat"); "a" vs "a b" = 1 inserted word, 2 chars.
        rates.Add("the cat sat", "the  cat ");
        rates.Add("a", "a b");

        // Assert
        Assert.Equal(6.0 / 12, rates.CharacterErrorRate, 12);
        Assert.Equal(2.0 / 4, rates.WordErrorRate, 12);
        Assert.Equal(2, rates.Count);
    }

    [Fact]
    public void Add_EmptyHypothesis_GivesErrorRatesOfOne()
    {
        // Arrange
        var rates = new ErrorRateAccumulator();

        // Act
        rates.Add("go stop", "");

        // Assert
        Assert.Equal(1.0, rates.CharacterErrorRate);
        Assert.Equal(1.0, rates.WordErrorRate);
    }

    [Fact]
    public void Compute_KittenSitting_IsThree()
    {
        // Act
        var distance = EditDistance.Compute("kitten".ToCharArray(), "sitting".ToCharArray());

        // Assert
        Assert.Equal(3, distance);
    }
}
