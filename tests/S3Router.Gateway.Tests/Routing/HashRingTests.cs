using S3Router.Gateway.Routing;

namespace S3Router.Gateway.Tests.Routing;

public sealed class HashRingTests
{
    private static readonly string[] FiveNodes = ["http://10.0.0.1:50052", "http://10.0.0.2:50052", "http://10.0.0.3:50052", "http://10.0.0.4:50052", "http://10.0.0.5:50052"];

    private static IEnumerable<string> Routes(int count) => Enumerable.Range(0, count).Select(i => $"task{i % 37}/l{i}");

    [Fact]
    public void Order_SameRoute_SameOwnerEveryTimeAndInEveryRingBuiltFromTheSameNodes()
    {
        // Arrange
        var ring = new HashRing(FiveNodes, 160);
        var shuffled = new HashRing(FiveNodes.Reverse().ToArray(), 160);

        // Act
        var first = ring.Order("asr/en");
        var again = ring.Order("asr/en");
        var other = shuffled.Order("asr/en");

        // Assert
        Assert.Equal(first, again);
        Assert.Equal(ring.Nodes[first[0]], shuffled.Nodes[other[0]]);
        Assert.Equal(first.Select(i => ring.Nodes[i]), other.Select(i => shuffled.Nodes[i]));
    }

    [Fact]
    public void Order_AnyRoute_ListsEveryNodeExactlyOnce()
    {
        var ring = new HashRing(FiveNodes, 16);

        var order = ring.Order("speaker/und");

        Assert.Equal([0, 1, 2, 3, 4], order.Order());
    }

    [Fact]
    public void Order_ManyRoutes_SpreadsThemOverAllNodes()
    {
        // Arrange
        var ring = new HashRing(FiveNodes, 160);
        var counts = new int[FiveNodes.Length];

        // Act
        foreach (var route in Routes(10_000))
        {
            counts[ring.Order(route)[0]]++;
        }

        // Assert: an even share is 2000 per node
        Assert.All(counts, c => Assert.InRange(c, 1_400, 2_600));
    }

    [Fact]
    public void Order_NodeRemoved_OnlyItsRoutesMove()
    {
        // Arrange
        var before = new HashRing(FiveNodes, 160);
        var removed = FiveNodes[2];
        var after = new HashRing(FiveNodes.Where(n => n != removed).ToArray(), 160);
        var moved = 0;

        // Act + Assert
        foreach (var route in Routes(5_000))
        {
            var ownerBefore = before.Nodes[before.Order(route)[0]];
            var ownerAfter = after.Nodes[after.Order(route)[0]];
            if (ownerBefore != removed)
            {
                Assert.Equal(ownerBefore, ownerAfter);
            }
            else
            {
                moved++;
                // Its routes go to the node that was next on the ring: their fallback order is kept.
                Assert.Equal(before.Nodes[before.Order(route)[1]], ownerAfter);
            }
        }
        Assert.InRange(moved, 500, 1_500);
    }

    [Fact]
    public void Order_NodeAdded_RoutesMoveOnlyToTheNewNode()
    {
        var before = new HashRing(FiveNodes[..4], 160);
        var after = new HashRing(FiveNodes, 160);

        foreach (var route in Routes(5_000))
        {
            var ownerBefore = before.Nodes[before.Order(route)[0]];
            var ownerAfter = after.Nodes[after.Order(route)[0]];
            Assert.True(ownerAfter == ownerBefore || ownerAfter == FiveNodes[4], $"{route} moved from {ownerBefore} to {ownerAfter}");
        }
    }

    [Fact]
    public void Order_EmptyRing_ReturnsNoNodes()
    {
        Assert.Empty(new HashRing([], 8).Order("asr/en"));
    }

    [Fact]
    public void Hash_KnownInput_IsStable()
    {
        // Every gateway replica and restart must place routes identically.
        Assert.Equal(HashRing.Hash("asr/en"), HashRing.Hash("asr/en"));
        Assert.NotEqual(HashRing.Hash("asr/en"), HashRing.Hash("asr/de"));
    }
}
