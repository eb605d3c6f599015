using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using S3Router.Core.Errors;
using S3Router.Gateway.Routing;
using S3Router.Gateway.Tests.TestSupport;

namespace S3Router.Gateway.Tests.Routing;

public sealed class EndpointSetTests
{
    private static readonly string[] Three = ["http://10.0.0.1:50052", "http://10.0.0.2:50052", "http://10.0.0.3:50052"];

    [Fact]
    public void Acquire_SameRoute_GoesToTheRingOwner()
    {
        using var set = Components.EndpointSet();
        set.Update(Three);
        var owner = set.Order("asr/en")[0];

        var first = set.Acquire("asr/en", []);
        first.Release();
        var second = set.Acquire("asr/en", []);
        second.Release();

        Assert.Same(owner, first);
        Assert.Same(owner, second);
    }

    [Fact]
    public void Acquire_OwnerOverItsBoundedLoad_MovesOverflowToTheNextEndpoint()
    {
        // Arrange
        using var set = Components.EndpointSet(new GatewayOptions { LoadFactor = 1.25 });
        set.Update(Three);
        var order = set.Order("asr/en");

        // Act: 30 calls of one route in flight at once
        var held = Enumerable.Range(0, 30).Select(_ => set.Acquire("asr/en", [])).ToList();

        // Assert: ceil(1.25 × 30 / 3) = 13 at most per endpoint, owner full, overflow on its successor first
        Assert.Equal(13, order[0].InFlight);
        Assert.All(set.Endpoints, e => Assert.True(e.InFlight <= 13));
        Assert.True(order[1].InFlight > 0);
        held.ForEach(e => e.Release());
        Assert.All(set.Endpoints, e => Assert.Equal(0, e.InFlight));
    }

    [Fact]
    public void Acquire_OwnerAlreadyTried_PicksTheNextEndpoint()
    {
        using var set = Components.EndpointSet();
        set.Update(Three);
        var order = set.Order("asr/en");

        var retry = set.Acquire("asr/en", [order[0]]);
        retry.Release();
        var third = set.Acquire("asr/en", [order[0], order[1]]);
        third.Release();

        Assert.Same(order[1], retry);
        Assert.Same(order[2], third);
    }

    [Fact]
    public void Acquire_EveryEndpointTried_ReusesTheOwner()
    {
        using var set = Components.EndpointSet();
        set.Update(Three);
        var order = set.Order("asr/en");

        var again = set.Acquire("asr/en", order.ToArray());
        again.Release();

        Assert.Same(order[0], again);
    }

    [Fact]
    public async Task Acquire_OwnerCircuitOpenThenBreakOver_SkipsOwnerThenProbesItAndTakesItBackWhenTheProbeSucceeds()
    {
        // Arrange: the owner's circuit opens after 2 UNAVAILABLE calls; 5 s break.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var set = Components.EndpointSet(
            new GatewayOptions { CircuitMinimumThroughput = 2, CircuitBreakDuration = TimeSpan.FromSeconds(5) }, time);
        set.Update(Three);
        var owner = set.Order("asr/en")[0];
        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<RpcException>(async () => await owner.Breaker.ExecuteAsync(
                _ => ValueTask.FromException(new RpcException(new Status(StatusCode.Unavailable, "down"))), TestContext.Current.CancellationToken));
        }

        // Act
        var duringBreak = Pick(set);
        time.Advance(TimeSpan.FromSeconds(6));
        var afterBreak = Pick(set);
        await owner.Breaker.ExecuteAsync(_ => ValueTask.CompletedTask, TestContext.Current.CancellationToken);

        // Assert
        Assert.NotSame(owner, duringBreak);
        Assert.Same(owner, afterBreak);
        Assert.Equal(CircuitState.Closed, owner.CircuitState);
        Assert.Same(owner, Pick(set));
    }

    [Fact]
    public void Acquire_NoEndpoints_ThrowsUnavailable()
    {
        using var set = Components.EndpointSet();

        var ex = Assert.Throws<UnavailableException>(() => set.Acquire("asr/en", []));

        Assert.Contains("No inference endpoint", ex.Message);
    }

    [Fact]
    public void Update_EndpointRemoved_KeepsTheOthersAndRetiresItAfterItsLastCall()
    {
        // Arrange
        using var set = Components.EndpointSet();
        set.Update(Three);
        var kept = set.Endpoints.Single(e => e.Address == Three[0]);
        var leaving = set.Endpoints.Single(e => e.Address == Three[2]);
        var busy = leaving.TryAcquire();

        // Act
        set.Update(Three[..2]);

        // Assert
        Assert.True(busy);
        Assert.Same(kept, set.Endpoints.Single(e => e.Address == Three[0]));
        Assert.DoesNotContain(leaving, set.Endpoints);
        Assert.True(leaving.IsRetired);
        Assert.False(leaving.TryAcquire());
        Assert.Equal(1, leaving.InFlight);
        leaving.Release();
        Assert.Equal(0, leaving.InFlight);
    }

    [Fact]
    public void Update_EndpointRemoved_OnlyRoutesItOwnedMove()
    {
        using var set = Components.EndpointSet();
        set.Update(Three);
        var routes = Enumerable.Range(0, 300).Select(i => $"t{i}/en").ToArray();
        var before = routes.ToDictionary(r => r, r => set.Order(r)[0].Address);

        set.Update(Three[..2]);

        foreach (var route in routes.Where(r => before[r] != Three[2]))
        {
            Assert.Equal(before[route], set.Order(route)[0].Address);
        }
        Assert.Contains(Three[2], before.Values);
    }

    private static InferenceEndpoint Pick(EndpointSet set)
    {
        var endpoint = set.Acquire("asr/en", []);
        endpoint.Release();
        return endpoint;
    }
}
