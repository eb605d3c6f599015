using S3Router.Gateway.Routing;

namespace S3Router.Gateway.Tests.Routing;

public sealed class BoundedLoadTests
{
    [Theory]
    [InlineData(0, 3, 1.25, 1)]
    [InlineData(9, 3, 1.25, 5)]
    [InlineData(299, 3, 1.25, 125)]
    [InlineData(10, 1, 1.25, 14)]
    [InlineData(5, 4, 1.0, 2)]
    public void Capacity_InFlightAndNodes_IsCeilingOfFactorTimesAverage(long inFlight, int nodes, double factor, int expected)
    {
        Assert.Equal(expected, BoundedLoad.Capacity(inFlight, nodes, factor));
    }

    [Fact]
    public void Choose_OwnerUnderCapacity_PicksOwner()
    {
        int[] loads = [1, 0, 0];

        var chosen = BoundedLoad.Choose([0, 1, 2], _ => true, i => loads[i], capacity: 2);

        Assert.Equal(0, chosen);
    }

    [Fact]
    public void Choose_OwnerFull_PicksNextOnTheRing()
    {
        int[] loads = [2, 5, 0];

        var chosen = BoundedLoad.Choose([0, 1, 2], _ => true, i => loads[i], capacity: 2);

        Assert.Equal(2, chosen);
    }

    [Fact]
    public void Choose_OwnerNotAllowed_PicksNextAllowed()
    {
        int[] loads = [0, 0, 0];

        var chosen = BoundedLoad.Choose([2, 0, 1], i => i != 2, i => loads[i], capacity: 1);

        Assert.Equal(0, chosen);
    }

    [Fact]
    public void Choose_EveryAllowedNodeFull_FallsBackToFirstAllowedRatherThanFailing()
    {
        int[] loads = [9, 9, 9];

        var chosen = BoundedLoad.Choose([1, 2, 0], i => i != 1, i => loads[i], capacity: 2);

        Assert.Equal(2, chosen);
    }

    [Fact]
    public void Choose_NoNodeAllowed_ReturnsMinusOne()
    {
        Assert.Equal(-1, BoundedLoad.Choose([0, 1], _ => false, _ => 0, capacity: 5));
    }

    [Fact]
    public void Choose_OneHotRoute_OverflowMovesAndNoNodeExceedsTheBound()
    {
        // Arrange: 300 concurrent calls of one route over 3 nodes, none finishing.
        var ring = new HashRing(["a", "b", "c"], 64);
        var order = ring.Order("asr/en");
        var loads = new int[3];

        // Act
        for (var placed = 0; placed < 300; placed++)
        {
            var capacity = BoundedLoad.Capacity(placed, 3, 1.25);
            loads[BoundedLoad.Choose(order, _ => true, i => loads[i], capacity)]++;
        }

        // Assert: the owner is full at ceil(1.25 × 100); the overflow went to its ring successors.
        Assert.Equal(125, loads[order[0]]);
        Assert.All(loads, l => Assert.True(l <= 125));
        Assert.True(loads[order[1]] >= loads[order[2]]);
        Assert.Equal(300, loads.Sum());
    }
}
