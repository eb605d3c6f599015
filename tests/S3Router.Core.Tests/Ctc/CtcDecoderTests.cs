using S3Router.Core.Ctc;

namespace S3Router.Core.Tests.Ctc;

public sealed class CtcDecoderTests
{
    // Vocabulary: 0 = blank, 1 = 'a', 2 = 'b'.
    private static float[,] LogProbs(params double[][] frames)
    {
        var result = new float[frames.Length, frames[0].Length];
        for (var t = 0; t < frames.Length; t++)
        {
            for (var v = 0; v < frames[t].Length; v++)
            {
                result[t, v] = (float)Math.Log(frames[t][v]);
            }
        }

        return result;
    }

    [Fact]
    public void Greedy_RepeatsAndBlanks_CollapsesRepeatsAndKeepsRepeatAcrossBlank()
    {
        // Arrange: best path a a _ a b b
        var logProbs = LogProbs(
            [0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.1, 0.1, 0.8], [0.2, 0.1, 0.7]);

        // Act
        var hypothesis = CtcDecoder.Greedy(logProbs);

        // Assert
        Assert.Equal([new CtcToken(1, 0, 1), new CtcToken(1, 3, 3), new CtcToken(2, 4, 5)], hypothesis.Tokens);
        Assert.Equal((0.8 + 0.8 + 0.6 + 0.8 + 0.7) / 5, hypothesis.Confidence, 5);
    }

    [Fact]
    public void Greedy_AllBlank_EmptyWithBlankConfidence()
    {
        var hypothesis = CtcDecoder.Greedy(LogProbs([0.9, 0.05, 0.05], [0.7, 0.2, 0.1]));

        Assert.Empty(hypothesis.Tokens);
        Assert.Equal(0.8, hypothesis.Confidence, 5);
    }

    [Fact]
    public void BeamSearch_PrefixSumBeatsBestPath_ReturnsPrefixFirstWithSummedProbability()
    {
        // Arrange: greedy picks blank twice (0.36), but "a" sums aa, a_, _a = 0.16 + 0.24 + 0.24 = 0.64.
        var logProbs = LogProbs([0.6, 0.4], [0.6, 0.4]);

        // Act
        var hypotheses = CtcDecoder.BeamSearch(logProbs, beamWidth: 4, nBest: 2);

        // Assert
        Assert.Empty(CtcDecoder.Greedy(logProbs).Tokens);
        Assert.Equal(2, hypotheses.Count);
        Assert.Equal([1], hypotheses[0].Tokens.Select(t => t.Label));
        Assert.Equal(Math.Log(0.64), hypotheses[0].LogProbability, 5);
        Assert.Empty(hypotheses[1].Tokens);
        Assert.Equal(Math.Log(0.36), hypotheses[1].LogProbability, 5);
        Assert.Equal(Math.Sqrt(0.64), hypotheses[0].Confidence, 4);
    }

    [Fact]
    public void BeamSearch_RepeatedLabelNeedsBlank_AaOnlyThroughBlank()
    {
        // Arrange: a _ a is the only way to "aa"; a a collapses to "a".
        var logProbs = LogProbs([0.1, 0.9, 1e-6], [0.8, 0.2, 1e-6], [0.1, 0.9, 1e-6]);

        // Act
        var hypotheses = CtcDecoder.BeamSearch(logProbs, beamWidth: 8, nBest: 3);

        // Assert: P(aa) = .9 * .8 * .9 = .648 beats P(a) = .344 (the six paths that collapse to "a").
        Assert.Equal([1, 1], hypotheses[0].Tokens.Select(t => t.Label));
        Assert.Equal(Math.Log(0.648), hypotheses[0].LogProbability, 3);
        Assert.Equal([0, 2], hypotheses[0].Tokens.Select(t => t.StartFrame));
        Assert.True(hypotheses.Zip(hypotheses.Skip(1)).All(p => p.First.LogProbability >= p.Second.LogProbability));
    }

    [Fact]
    public void BeamSearch_NBestProbabilities_SumToOneOverAllPrefixesOfTwoFrames()
    {
        // With a beam wide enough to keep every prefix, the prefix probabilities of 2 frames over {_, a, b} sum to 1.
        var logProbs = LogProbs([0.5, 0.3, 0.2], [0.2, 0.5, 0.3]);

        var hypotheses = CtcDecoder.BeamSearch(logProbs, beamWidth: 16, nBest: 16);

        Assert.Equal(1.0, hypotheses.Sum(h => Math.Exp(h.LogProbability)), 5);
        Assert.Equal(5, hypotheses.Count); // "", a, b, ab, ba: "aa" and "bb" would need a blank between them
    }
}
