using S3Router.TrainingService.Training.Data;

namespace S3Router.TrainingService.Tests.Training.Data;

public sealed class DynamicBatcherTests
{
    [Fact]
    public void CreateBatches_MixedLengths_KeepsPaddedSizeWithinMaxTokensAndCoversEveryItemOnce()
    {
        // Arrange
        var random = new Random(3);
        var lengths = Enumerable.Range(0, 50).Select(_ => (long)random.Next(1000, 9000)).ToList();

        // Act
        var batches = DynamicBatcher.CreateBatches(lengths, 20_000);

        // Assert
        Assert.All(batches, b => Assert.True(b.Length * b.Max(i => lengths[i]) <= 20_000));
        Assert.Equal(Enumerable.Range(0, 50), batches.SelectMany(b => b).Order());
        Assert.True(lengths[batches[0][0]] >= lengths[batches[^1][0]], "longest first");
    }

    [Fact]
    public void CreateBatches_ItemLongerThanBudget_GetsItsOwnBatch()
    {
        // Act
        var batches = DynamicBatcher.CreateBatches([500, 5000, 400], 1000);

        // Assert
        Assert.Equal([[1], [0, 2]], batches); // 2 x 500 fits 1000
    }

    [Fact]
    public void EpochOrder_SameSeedAndEpoch_IsTheSamePermutation()
    {
        // Act
        var first = DynamicBatcher.EpochOrder(20, 42, 3);
        var again = DynamicBatcher.EpochOrder(20, 42, 3);
        var next = DynamicBatcher.EpochOrder(20, 42, 4);

        // Assert
        Assert.Equal(first, again);
        Assert.NotEqual(first, next);
        Assert.Equal(Enumerable.Range(0, 20), first.Order());
    }
}
