using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Gateway.Tests.TestSupport;

namespace S3Router.Gateway.Tests.Functional;

/// <summary>The gateway in front of three fake inference backends on loopback.</summary>
public sealed class RoutingTests : IAsyncLifetime
{
    private readonly List<FakeBackend> _backends = [];
    private GatewayHost _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            _backends.Add(await FakeBackend.StartAsync(name));
        }
        _gateway = await GatewayHost.StartAsync(_backends);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }

    private string NameOf(string address) => _backends.Single(b => b.Address == address).Name;

    [Fact]
    public async Task Recognize_SameRouteRepeatedly_AlwaysAnsweredByItsRingOwner()
    {
        // Arrange
        var routes = Enumerable.Range(0, 24).Select(i => (Task: $"t{i}", Language: i % 2 == 0 ? "en" : "de")).ToArray();
        var answers = new Dictionary<string, HashSet<string>>();

        // Act
        foreach (var (task, language) in routes)
        {
            for (var i = 0; i < 3; i++)
            {
                var response = await _gateway.Client.RecognizeAsync(Requests.Recognize(task, language), cancellationToken: TestContext.Current.CancellationToken);
                answers.TryAdd($"{task}/{language}", []);
                answers[$"{task}/{language}"].Add(response.Results[0].Route.Digest);
            }
        }

        // Assert: one backend per route, the ring owner, and the routes spread over more than one backend
        foreach (var (route, names) in answers)
        {
            Assert.Equal([NameOf(_gateway.OrderOf(route)[0])], names);
        }
        Assert.True(answers.Values.Select(n => n.Single()).Distinct().Count() >= 2);
    }

    [Fact]
    public async Task StreamingRecognize_ConfigThenChunks_ProxiedToTheRouteOwnerWithInterimAndFinalResults()
    {
        // Arrange
        var owner = NameOf(_gateway.OrderOf("asr/en")[0]);
        using var call = _gateway.Client.StreamingRecognize(cancellationToken: TestContext.Current.CancellationToken);

        // Act
        await call.RequestStream.WriteAsync(Requests.StreamingConfig("asr", "en"), TestContext.Current.CancellationToken);
        for (var i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(Requests.Chunk(), TestContext.Current.CancellationToken);
        }
        await call.RequestStream.CompleteAsync();
        var responses = await call.ResponseStream.ReadAllAsync(TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal([false, false, false, true], responses.Select(r => r.IsFinal));
        Assert.All(responses, r => Assert.Equal(owner, r.Results[0].Route.Digest));
        Assert.Equal(3, responses[^1].Results[0].Route.Version);
    }

    [Fact]
    public async Task StreamingRecognize_AudioBeforeConfig_InvalidArgumentAndNothingForwarded()
    {
        using var call = _gateway.Client.StreamingRecognize(cancellationToken: TestContext.Current.CancellationToken);

        await call.RequestStream.WriteAsync(Requests.Chunk(), TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.All(_backends, b => Assert.Equal(0, b.Calls));
    }

    [Fact]
    public async Task StreamingRecognize_SecondConfigMidStream_InvalidArgument()
    {
        using var call = _gateway.Client.StreamingRecognize(cancellationToken: TestContext.Current.CancellationToken);

        await call.RequestStream.WriteAsync(Requests.StreamingConfig(), TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(Requests.StreamingConfig(), TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken))
            {
            }
        });

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("streaming_config", ex.Status.Detail);
    }

    [Fact]
    public async Task Recognize_InvalidRequest_InvalidArgumentWithFieldViolationsAndNoBackendCalled()
    {
        var request = Requests.Recognize(task: "ASR");
        request.Config.BeamWidth = 100;

        var ex = await Assert.ThrowsAsync<RpcException>(() => _gateway.Client.RecognizeAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var badRequest = ex.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>();
        Assert.NotNull(badRequest);
        Assert.Equal(["config.beam_width", "task"], badRequest.FieldViolations.Select(v => v.Field).Order(StringComparer.Ordinal));
        Assert.All(_backends, b => Assert.Equal(0, b.Calls));
    }

    [Fact]
    public async Task Recognize_BackendSaysNotFound_PassedThroughUnchangedWithoutRetry()
    {
        var owner = _backends.Single(b => b.Address == _gateway.OrderOf("asr/en")[0]);
        owner.Behavior = BackendBehavior.NotFound;

        var ex = await Assert.ThrowsAsync<RpcException>(() => _gateway.Client.RecognizeAsync(Requests.Recognize(), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal($"{owner.Name}: no such route", ex.Status.Detail);
        Assert.Equal(1, _backends.Sum(b => b.Calls));
    }

    [Fact]
    public async Task ListRoutes_AnyBackend_AnswersFromAHealthyOne()
    {
        var first = _backends.Single(b => b.Address == _gateway.OrderOf("~list-routes")[0]);
        first.Behavior = BackendBehavior.Unavailable;

        var response = await _gateway.Client.ListRoutesAsync(new ListRoutesRequest(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(first.Name, response.Routes[0].Route.Digest);
        Assert.Equal(1, first.Calls);
    }
}
