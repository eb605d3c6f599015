using Grpc.Core;
using Polly.CircuitBreaker;
using S3Router.Gateway.Tests.TestSupport;

namespace S3Router.Gateway.Tests.Functional;

/// <summary>Failures of fake inference backends behind a real gateway: retries, circuits, a killed pod, hedging, deadlines.</summary>
public sealed class ResilienceTests : IAsyncLifetime
{
    private readonly List<FakeBackend> _backends = [];

    public async ValueTask InitializeAsync()
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            _backends.Add(await FakeBackend.StartAsync(name));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }

    private FakeBackend Backend(string address) => _backends.Single(b => b.Address == address);

    /// <summary>Routes (task names) whose ring owner is <paramref name="backend"/>.</summary>
    private static string[] RoutesOwnedBy(GatewayHost gateway, FakeBackend backend, int count) =>
        Enumerable.Range(0, 500).Select(i => $"t{i}").Where(t => gateway.OrderOf($"{t}/en")[0] == backend.Address).Take(count).ToArray();

    private static Task<S3Router.Api.V1.RecognizeResponse> RecognizeAsync(GatewayHost gateway, string task) =>
        gateway.Client.RecognizeAsync(Requests.Recognize(task, "en"), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync;

    [Fact]
    public async Task Recognize_OwnerUnavailable_RetriedOnTheNextEndpointUntilItsCircuitOpens()
    {
        // Arrange
        await using var gateway = await GatewayHost.StartAsync(_backends);
        var order = gateway.OrderOf("asr/en");
        var failing = Backend(order[0]);
        failing.Behavior = BackendBehavior.Unavailable;

        // Act
        var answers = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            answers.Add((await RecognizeAsync(gateway, "asr")).Results[0].Route.Digest);
        }

        // Assert: every call answered by the ring successor; the failing pod saw calls only until its circuit opened
        Assert.All(answers, a => Assert.Equal(Backend(order[1]).Name, a));
        Assert.Equal(2, failing.Calls); // CircuitMinimumThroughput = 2 with failure ratio 1.0
        Assert.Equal(CircuitState.Open, gateway.EndpointOf(failing).CircuitState);
    }

    [Fact]
    public async Task Recognize_EveryBackendUnavailable_UnavailableNamingTheTriedEndpoints()
    {
        await using var gateway = await GatewayHost.StartAsync(_backends);
        _backends.ForEach(b => b.Behavior = BackendBehavior.Unavailable);

        var ex = await Assert.ThrowsAsync<RpcException>(() => RecognizeAsync(gateway, "asr"));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains("after 3 attempt(s)", ex.Status.Detail);
        Assert.All(_backends, b => Assert.Contains(b.Address, ex.Status.Detail));
    }

    [Fact]
    public async Task Recognize_BackendKilled_TrafficMovesWithoutFailedCalls()
    {
        // Arrange
        await using var gateway = await GatewayHost.StartAsync(_backends);
        var victim = _backends[1];
        var routes = RoutesOwnedBy(gateway, victim, 4);
        foreach (var task in routes)
        {
            Assert.Equal(victim.Name, (await RecognizeAsync(gateway, task)).Results[0].Route.Digest);
        }

        // Act
        await victim.StopAsync();
        var failures = 0;
        var answers = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            foreach (var task in routes)
            {
                try
                {
                    answers.Add((await RecognizeAsync(gateway, task)).Results[0].Route.Digest);
                }
                catch (RpcException)
                {
                    failures++;
                }
            }
        }

        // Assert: retries hid the dead pod from callers; its circuit opened and survivors took its routes
        Assert.Equal(0, failures);
        Assert.Equal(12, answers.Count);
        Assert.DoesNotContain(victim.Name, answers);
        Assert.Equal(CircuitState.Open, gateway.EndpointOf(victim).CircuitState);
    }

    [Fact]
    public async Task Recognize_BackendKilledAndNoRetries_FailsOnlyWhileDetecting()
    {
        // Arrange
        await using var gateway = await GatewayHost.StartAsync(_backends, new Dictionary<string, string?> { ["Gateway:RetryAttempts"] = "0" });
        var victim = _backends[0];
        var routes = RoutesOwnedBy(gateway, victim, 4);

        // Act
        await victim.StopAsync();
        var outcomes = new List<StatusCode>();
        for (var round = 0; round < 4; round++)
        {
            foreach (var task in routes)
            {
                try
                {
                    await RecognizeAsync(gateway, task);
                    outcomes.Add(StatusCode.OK);
                }
                catch (RpcException ex)
                {
                    outcomes.Add(ex.StatusCode);
                }
            }
        }

        // Assert: exactly the calls the circuit needed to see (minimum throughput 2) failed, as UNAVAILABLE; none after
        Assert.Equal([StatusCode.Unavailable, StatusCode.Unavailable], outcomes.Take(2));
        Assert.All(outcomes.Skip(2), s => Assert.Equal(StatusCode.OK, s));
    }

    [Fact]
    public async Task Recognize_OwnerSlowWithHedging_FastBackendAnswersAndTheSlowCallIsCancelled()
    {
        // Arrange
        await using var gateway = await GatewayHost.StartAsync(_backends, new Dictionary<string, string?>
        {
            ["Gateway:HedgingEnabled"] = "true",
            ["Gateway:HedgingDelay"] = "00:00:00.050",
        });
        var order = gateway.OrderOf("asr/en");
        var slow = Backend(order[0]);
        slow.Behavior = BackendBehavior.Hang;
        // The fast pod answers only once the slow one holds its call, so the race has one possible winner.
        Backend(order[1]).AnswerAfter = slow.FirstCall.Task;

        // Act
        var response = await RecognizeAsync(gateway, "asr");

        // Assert: the hedge went to the ring successor and won; the slow pod saw its call cancelled
        Assert.Equal(Backend(order[1]).Name, response.Results[0].Route.Digest);
        await slow.CancellationObserved.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(1, slow.Calls);
    }

    [Fact]
    public async Task Recognize_OwnerSlowWithoutHedging_WaitsForTheOwner()
    {
        // The control for the hedging test: without hedging nobody else is asked, however long the owner takes.
        await using var gateway = await GatewayHost.StartAsync(_backends);
        var slow = Backend(gateway.OrderOf("asr/en")[0]);
        var release = new TaskCompletionSource();
        slow.AnswerAfter = release.Task;

        var call = RecognizeAsync(gateway, "asr");
        await slow.FirstCall.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        release.SetResult();
        var response = await call;

        Assert.Equal(slow.Name, response.Results[0].Route.Digest);
        Assert.Equal(1, _backends.Sum(b => b.Calls));
    }

    [Fact]
    public async Task Recognize_CallerDeadline_PropagatedAndBackendObservesCancellation()
    {
        // Arrange
        await using var gateway = await GatewayHost.StartAsync(_backends);
        var slow = Backend(gateway.OrderOf("asr/en")[0]);
        slow.Behavior = BackendBehavior.Hang;
        var deadline = DateTime.UtcNow.AddSeconds(2);

        // Act
        var ex = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.RecognizeAsync(
            Requests.Recognize(), deadline: deadline, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        await slow.CancellationObserved.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        // Assert: the pod got the caller's deadline (not the gateway's 30 s default) and gave up when it passed
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.True(slow.Deadlines.TryPeek(out var seen));
        Assert.True(seen < deadline.AddSeconds(5), $"backend deadline {seen:O}, caller deadline {deadline:O}");
    }

    [Fact]
    public async Task Recognize_CallerSetsNoDeadline_BackendGetsTheDefaultDeadline()
    {
        await using var gateway = await GatewayHost.StartAsync(_backends, new Dictionary<string, string?> { ["Gateway:CallTimeout"] = "00:02:00" });
        var before = DateTime.UtcNow;

        await RecognizeAsync(gateway, "asr");

        var seen = Assert.Single(_backends.SelectMany(b => b.Deadlines));
        Assert.InRange(seen, before.AddMinutes(1), DateTime.UtcNow.AddMinutes(3));
    }

    [Fact]
    public async Task Recognize_CallerCancels_BackendObservesCancellation()
    {
        await using var gateway = await GatewayHost.StartAsync(_backends);
        var slow = Backend(gateway.OrderOf("asr/en")[0]);
        slow.Behavior = BackendBehavior.Hang;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var call = gateway.Client.RecognizeAsync(Requests.Recognize(), cancellationToken: cts.Token);
        await slow.FirstCall.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await cts.CancelAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        await slow.CancellationObserved.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public async Task StreamingRecognize_OwnerUnavailable_UnavailableNamingTheEndpoint()
    {
        await using var gateway = await GatewayHost.StartAsync(_backends);
        var owner = Backend(gateway.OrderOf("asr/en")[0]);
        owner.Behavior = BackendBehavior.Unavailable;
        using var call = gateway.Client.StreamingRecognize(cancellationToken: TestContext.Current.CancellationToken);

        await call.RequestStream.WriteAsync(Requests.StreamingConfig(), TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains(owner.Address, ex.Status.Detail);
    }

    [Fact]
    public async Task Recognize_NoInferenceListening_UnavailableWithClearMessage()
    {
        var nobody = $"http://127.0.0.1:{FreePort.Next()}";
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Endpoints:0"] = nobody,
            ["Gateway:RetryBaseDelay"] = "00:00:00.001",
        });

        var ex = await Assert.ThrowsAsync<RpcException>(() => RecognizeAsync(gateway, "asr"));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains($"No inference endpoint could serve asr/en after 3 attempt(s) on {nobody}", ex.Status.Detail);
    }
}
