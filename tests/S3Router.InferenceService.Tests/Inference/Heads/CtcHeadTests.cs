using S3Router.Core.Errors;
using S3Router.InferenceService.Inference.Heads;

namespace S3Router.InferenceService.Tests.Inference.Heads;

public sealed class CtcHeadTests
{
    private static readonly string[] Labels = ["<blank>", "|", "h", "i", "y", "o"];
    private static readonly TimeSpan Hop = TimeSpan.FromMilliseconds(20);

    // hidden size = labels: W = 10 * identity, so a one-hot hidden frame picks its label.
    private static CtcHead Head()
    {
        var n = Labels.Length;
        var weight = new float[n * n];
        for (var i = 0; i < n; i++)
        {
            weight[(i * n) + i] = 10f;
        }

        return new CtcHead(weight, new float[n], Labels, n, Hop);
    }

    private static float[,] OneHot(params int[] labels)
    {
        var hidden = new float[labels.Length, Labels.Length];
        for (var t = 0; t < labels.Length; t++)
        {
            hidden[t, labels[t]] = 1f;
        }

        return hidden;
    }

    [Fact]
    public void Decode_Greedy_TranscriptWithWordBoundariesAndTimes()
    {
        // Arrange: h h i | _ _ y o | (frames 0..8)
        var hidden = OneHot(2, 2, 3, 1, 0, 0, 4, 5, 1);

        // Act
        var alternative = Assert.Single(Head().Decode(hidden, beamWidth: 0, maxAlternatives: 1));

        // Assert
        Assert.Equal("hi yo", alternative.Transcript);
        Assert.Equal(2, alternative.Words.Count);
        Assert.Equal(new RecognizedWord("hi", TimeSpan.Zero, Hop * 3), alternative.Words[0]);
        Assert.Equal(new RecognizedWord("yo", Hop * 6, Hop * 8), alternative.Words[1]);
        Assert.InRange(alternative.Confidence, 0.99f, 1f);
    }

    [Fact]
    public void Decode_DroppedFrames_WordTimesMapBackToOriginalFrames()
    {
        // Arrange: original frames 0..19 where 0-4 and 10-14 were silence and dropped; kept rows are frames
        // 5 6 7 8 9 15 16 17 18 19 holding "h h i | _ y o o | _".
        var hidden = OneHot(2, 2, 3, 1, 0, 4, 5, 5, 1, 0);
        int[] frameIndex = [5, 6, 7, 8, 9, 15, 16, 17, 18, 19];

        // Act
        var alternative = Assert.Single(Head().Decode(hidden, beamWidth: 0, maxAlternatives: 1, frameIndex));

        // Assert
        Assert.Equal("hi yo", alternative.Transcript);
        Assert.Equal(new RecognizedWord("hi", Hop * 5, Hop * 8), alternative.Words[0]);
        Assert.Equal(new RecognizedWord("yo", Hop * 15, Hop * 18), alternative.Words[1]);
    }

    [Fact]
    public void Decode_BeamWithAlternatives_BestFirstAndSameBestAsGreedy()
    {
        var hidden = OneHot(2, 0, 3, 1, 4, 5);

        var alternatives = Head().Decode(hidden, beamWidth: 8, maxAlternatives: 3);

        Assert.Equal(3, alternatives.Count);
        Assert.Equal("hi yo", alternatives[0].Transcript);
        Assert.True(alternatives[0].Confidence >= alternatives[1].Confidence && alternatives[1].Confidence >= alternatives[2].Confidence);
        Assert.Equal(Hop * 4, alternatives[0].Words[1].Start);
    }

    [Fact]
    public void Constructor_WeightOfWrongShape_FailedPrecondition()
    {
        Assert.Throws<FailedPreconditionException>(() => new CtcHead(new float[5], new float[Labels.Length], Labels, 6, Hop));
    }
}
