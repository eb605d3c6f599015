using S3Router.Core.Ctc;
using S3Router.TrainingService.Training.Metrics;

namespace S3Router.TrainingService.Tests.Training.Metrics;

public sealed class CtcTextTests
{
    private static readonly string[] Vocabulary = ["<blank>", "|", "a", "b"];

    [Fact]
    public void ToText_GreedyRepeatsBlanksAndBoundaries_CollapsesToText()
    {
        // Arrange: frame argmaxes a a <b> a b | b -> labels "a a b | b" after collapsing.
        int[] best = [2, 2, 0, 2, 3, 1, 3];
        var logProbs = new float[best.Length, Vocabulary.Length];
        for (var t = 0; t < best.Length; t++)
        {
            for (var v = 0; v < Vocabulary.Length; v++)
            {
                logProbs[t, v] = v == best[t] ? -0.1f : -5f;
            }
        }

        // Act
        var text = CtcText.ToText(CtcDecoder.Greedy(logProbs), Vocabulary);

        // Assert
        Assert.Equal("aab b", text);
    }

    [Fact]
    public void TokensToText_LetterLine_JoinsWordsWithSpaces()
    {
        // Act
        var text = CtcText.TokensToText(["h", "i", "|", "y", "o", "u", "|"]);

        // Assert
        Assert.Equal("hi you", text);
    }
}
