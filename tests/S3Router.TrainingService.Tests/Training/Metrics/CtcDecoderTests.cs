using S3Router.TrainingService.Training.Metrics;

namespace S3Router.TrainingService.Tests.Training.Metrics;

public sealed class CtcDecoderTests
{
    private static readonly string[] Vocabulary = ["<blank>", "|", "a", "b"];

    [Fact]
    public void Greedy_RepeatsBlanksAndBoundaries_CollapsesToText()
    {
        // Arrange: frame argmaxes a a <b> a b | b -> "a a b | b" after collapsing.
        int[] best = [2, 2, 0, 2, 3, 1, 3];
        var logits = OneHot(best, 4);

        // Act
        var labels = CtcDecoder.Greedy(logits, best.Length, 4);

        // Assert
        Assert.Equal([2, 2, 3, 1, 3], labels);
        Assert.Equal("aab b", CtcDecoder.ToText(labels, Vocabulary));
    }

    [Fact]
    public void BeamSearch_SumOverPathsBeatsBestPath_ReturnsMoreProbablePrefix()
    {
        // Arrange: two frames over {blank, a}. Best path is blank blank (0.6 * 0.6 = 0.36) -> "",
        // but "a" collects a-a, a-blank, blank-a = 0.16 + 0.24 + 0.24 = 0.64.
        float[] probs = [0.6f, 0.4f, 0.6f, 0.4f];
        var logProbs = probs.Select(p => MathF.Log(p)).ToArray();

        // Act
        var greedy = CtcDecoder.Greedy(logProbs, 2, 2);
        var beam = CtcDecoder.BeamSearch(logProbs, 2, 2, beamWidth: 4);

        // Assert
        Assert.Empty(greedy);
        Assert.Equal([1], beam);
    }

    [Fact]
    public void TokensToText_LetterLine_JoinsWordsWithSpaces()
    {
        // Act
        var text = CtcDecoder.TokensToText(["h", "i", "|", "y", "o", "u", "|"]);

        // Assert
        Assert.Equal("hi you", text);
    }

    private static float[] OneHot(int[] best, int vocabulary)
    {
        var values = new float[best.Length * vocabulary];
        for (var t = 0; t < best.Length; t++)
        {
            values[(t * vocabulary) + best[t]] = 1;
        }

        return values;
    }
}
