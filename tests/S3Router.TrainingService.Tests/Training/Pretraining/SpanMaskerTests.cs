using S3Router.TrainingService.Training.Pretraining;

namespace S3Router.TrainingService.Tests.Training.Pretraining;

public sealed class SpanMaskerTests
{
    [Fact]
    public void Compute_LongUtterances_MasksAboutHalfOfValidFramesAndNoPadding()
    {
        // Arrange
        long[] valid = [500, 300];

        // Act
        var mask = SpanMasker.Compute(valid, frames: 500, new Random(4));

        // Assert: 8% starts × span 10 covers 1 - 0.92^10 ≈ 57% less the overlaps of distinct starts.
        var first = mask.Take(500).Count(m => m) / 500.0;
        var second = mask.Skip(500).Take(300).Count(m => m) / 300.0;
        Assert.InRange(first, 0.35, 0.75);
        Assert.InRange(second, 0.35, 0.75);
        Assert.DoesNotContain(true, mask.Skip(800));
    }

    [Fact]
    public void Compute_ShortUtterance_MasksAtLeastOneFrame()
    {
        // Act
        var mask = SpanMasker.Compute([3], frames: 3, new Random(1));

        // Assert
        Assert.Contains(true, mask);
    }
}
