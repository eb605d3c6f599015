using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using S3Router.Gateway.Routing;
using S3Router.Gateway.Tests.TestSupport;

namespace S3Router.Gateway.Tests.Resilience;

/// <summary>
/// An endpoint's circuit breakers on real loopback sockets, with Polly's clock under test control (the gRPC calls
/// themselves run in real time). Default options: failure ratio 0.5 over 10 s with at least 5 calls; dead endpoint 3
/// failed calls in 1 s with no success.
/// </summary>
public sealed class EndpointBreakerTests
{
    private readonly FakeTimeProvider _time = new();

    private static async Task<StatusCode?> CallAsync(InferenceEndpoint endpoint)
    {
        try
        {
            await endpoint.Breaker.ExecuteAsync(
                async token => await endpoint.Client.RecognizeAsync(Requests.Recognize(), cancellationToken: token),
                TestContext.Current.CancellationToken);
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
        catch (BrokenCircuitException)
        {
            return null;
        }
    }

    [Fact]
    public async Task Breaker_BusyEndpointKilled_OpensAfterThreeFailuresDespiteItsEarlierSuccesses()
    {
        // Arrange: a pod that answered 20 calls within the ratio window, then dies (its port refuses connections)
        await using var backend = await FakeBackend.StartAsync("a");
        using var set = Components.EndpointSet(time: _time);
        set.Update([backend.Address]);
        var endpoint = set.Endpoints[0];
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(StatusCode.OK, await CallAsync(endpoint));
        }
        await backend.StopAsync();
        _time.Advance(TimeSpan.FromSeconds(2)); // past the dead-endpoint window, well inside the 10 s ratio window

        // Act
        var outcomes = new List<StatusCode?>();
        for (var i = 0; i < 3; i++)
        {
            outcomes.Add(await CallAsync(endpoint));
        }

        // Assert: each failure is UNAVAILABLE (what the breakers count), and 3 of them open the circuit although the
        // ratio in the sampling window is only 3 / 23 (before the dead-endpoint rule it stayed closed until 20 failures)
        Assert.All(outcomes, s => Assert.Equal(StatusCode.Unavailable, s));
        Assert.Equal(CircuitState.Open, endpoint.CircuitState);
        Assert.True(endpoint.IsOpen);
        Assert.Null(await CallAsync(endpoint)); // refused by the open circuit, never sent
    }

    [Fact]
    public async Task Breaker_NothingListeningOnThePort_FailsUnavailableAndOpensAfterThreeCalls()
    {
        // Arrange: an address where nothing ever listened
        using var set = Components.EndpointSet(time: _time);
        set.Update([$"http://127.0.0.1:{FreePort.Next()}"]);
        var endpoint = set.Endpoints[0];

        // Act
        var first = await CallAsync(endpoint);
        var second = await CallAsync(endpoint);
        var stateAfterTwo = endpoint.CircuitState;
        var third = await CallAsync(endpoint);

        // Assert: connection refused surfaces as UNAVAILABLE; the third failure in a row opens the circuit
        Assert.Equal([StatusCode.Unavailable, StatusCode.Unavailable, StatusCode.Unavailable], [first, second, third]);
        Assert.Equal(CircuitState.Closed, stateAfterTwo);
        Assert.Equal(CircuitState.Open, endpoint.CircuitState);
    }

    [Fact]
    public async Task Breaker_OneFailureInThree_StaysClosed()
    {
        // Arrange: a flaky pod failing every third call, below both the dead rule (needs every call failed) and the ratio
        await using var backend = await FakeBackend.StartAsync("a");
        using var set = Components.EndpointSet(time: _time);
        set.Update([backend.Address]);
        var endpoint = set.Endpoints[0];

        // Act
        var outcomes = new List<StatusCode?>();
        for (var i = 0; i < 12; i++)
        {
            backend.Behavior = i % 3 == 2 ? BackendBehavior.Unavailable : BackendBehavior.Normal;
            outcomes.Add(await CallAsync(endpoint));
        }

        // Assert
        Assert.Equal(4, outcomes.Count(s => s == StatusCode.Unavailable));
        Assert.Equal(8, outcomes.Count(s => s == StatusCode.OK));
        Assert.Equal(CircuitState.Closed, endpoint.CircuitState);
    }

    [Fact]
    public async Task Breaker_DeadEndpointAfterItsBreak_OneProbeFailsAndReopensTheCircuit()
    {
        // Arrange: a dead endpoint whose circuit opened
        using var set = Components.EndpointSet(time: _time);
        set.Update([$"http://127.0.0.1:{FreePort.Next()}"]);
        var endpoint = set.Endpoints[0];
        for (var i = 0; i < 3; i++)
        {
            await CallAsync(endpoint);
        }
        Assert.Equal(CircuitState.Open, endpoint.CircuitState);

        // Act: the break (5 s) ends; the probe fails again
        _time.Advance(TimeSpan.FromSeconds(5));
        var isOpenAfterBreak = endpoint.IsOpen;
        var probe = await CallAsync(endpoint);

        // Assert: the endpoint was offered for one probe, which failed and opened the circuit again
        Assert.False(isOpenAfterBreak);
        Assert.Equal(StatusCode.Unavailable, probe);
        Assert.Equal(CircuitState.Open, endpoint.CircuitState);
        Assert.True(endpoint.IsOpen);
    }
}
