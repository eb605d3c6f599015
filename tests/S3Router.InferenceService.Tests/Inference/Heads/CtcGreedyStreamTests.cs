using S3Router.Core.Ctc;
using S3Router.InferenceService.Inference.Heads;

namespace S3Router.InferenceService.Tests.Inference.Heads;

public sealed class CtcGreedyStreamTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Append_PiecesWithOverlap_EqualsGreedyOfTheWhole(int seed)
    {
        // Arrange: 60 frames over 5 labels, blank-heavy so repeats meet at seams; pieces overlap like context windows.
        var logProbs = RandomLogProbs(60, 5, seed);
        var expected = CtcDecoder.Greedy(logProbs);
        var stream = new CtcGreedyStream();
        var random = new Random(seed);

        // Act
        var end = 0;
        while (end < 60)
        {
            var start = Math.Max(0, end - random.Next(0, 6)); // re-sends up to 5 decoded frames as context
            end = Math.Min(60, end + random.Next(1, 9));
            stream.Append(Rows(logProbs, start, end), start);
        }

        var actual = stream.Hypothesis();

        // Assert
        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(expected.LogProbability, actual.LogProbability, 9);
        Assert.Equal(expected.Confidence, actual.Confidence);
        Assert.Equal(60, stream.NextFrame);
    }

    [Fact]
    public void Append_SameLabelAcrossSeam_CollapsesIntoOneToken()
    {
        var stream = new CtcGreedyStream();

        stream.Append(OneHot([0, 2, 2]), 0);
        stream.Append(OneHot([2, 0, 2]), 3);

        Assert.Equal([new CtcToken(2, 1, 3), new CtcToken(2, 5, 5)], stream.Hypothesis().Tokens);
    }

    private static float[,] RandomLogProbs(int frames, int labels, int seed)
    {
        var random = new Random(seed);
        var result = new float[frames, labels];
        for (var t = 0; t < frames; t++)
        {
            for (var v = 0; v < labels; v++)
            {
                result[t, v] = (float)(random.NextDouble() * 3 + (v == 0 ? 1.2 : 0));
            }
        }

        return CtcDecoder.LogSoftmax(result);
    }

    private static float[,] Rows(float[,] source, int from, int to)
    {
        var result = new float[to - from, source.GetLength(1)];
        for (var t = from; t < to; t++)
        {
            for (var v = 0; v < source.GetLength(1); v++)
            {
                result[t - from, v] = source[t, v];
            }
        }

        return result;
    }

    private static float[,] OneHot(int[] labels)
    {
        var result = new float[labels.Length, 3];
        for (var t = 0; t < labels.Length; t++)
        {
            for (var v = 0; v < 3; v++)
            {
                result[t, v] = v == labels[t] ? 0f : -10f;
            }
        }

        return result;
    }
}
