using Google.Rpc;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Gateway.Tests.TestSupport;

namespace S3Router.Gateway.Tests.Functional;

public sealed class AuthTests : IAsyncLifetime
{
    private FakeBackend _backend = null!;
    private GatewayHost _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await FakeBackend.StartAsync("a");
        _gateway = await GatewayHost.StartAsync([_backend], new Dictionary<string, string?>
        {
            ["Gateway:Auth:Keys:0:Name"] = "app",
            ["Gateway:Auth:Keys:0:Key"] = "user-secret",
            ["Gateway:Auth:Keys:0:Role"] = "User",
            ["Gateway:Auth:Keys:1:Name"] = "dashboard",
            ["Gateway:Auth:Keys:1:Key"] = "reader-secret",
            ["Gateway:Auth:Keys:1:Role"] = "Reader",
            ["Gateway:Auth:Keys:2:Name"] = "batch",
            ["Gateway:Auth:Keys:2:Key"] = "slow-secret",
            ["Gateway:Auth:Keys:2:PermitsPerSecond"] = "0.001",
            ["Gateway:Auth:Keys:2:Burst"] = "2",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private Task<RecognizeResponse> RecognizeAsync(Metadata? headers) =>
        _gateway.Client.RecognizeAsync(Requests.Recognize(), headers, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync;

    [Fact]
    public async Task Recognize_NoKey_Unauthenticated()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => RecognizeAsync(null));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Equal(0, _backend.Calls);
    }

    [Fact]
    public async Task Recognize_UserKey_Forwarded()
    {
        var response = await RecognizeAsync(new Metadata { { "authorization", "Bearer user-secret" } });

        Assert.Equal("a", response.RequestId);
    }

    [Fact]
    public async Task Recognize_ReaderKey_PermissionDeniedButListRoutesAllowed()
    {
        var headers = new Metadata { { "x-api-key", "reader-secret" } };

        var ex = await Assert.ThrowsAsync<RpcException>(() => RecognizeAsync(headers));
        var routes = await _gateway.Client.ListRoutesAsync(new ListRoutesRequest(), headers, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Single(routes.Routes);
    }

    [Fact]
    public async Task Recognize_BurstExceeded_ResourceExhaustedWithRetryHint()
    {
        var headers = new Metadata { { "authorization", "Bearer slow-secret" } };
        await RecognizeAsync(headers);
        await RecognizeAsync(headers);

        var ex = await Assert.ThrowsAsync<RpcException>(() => RecognizeAsync(headers));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("retry after", ex.Status.Detail);
        Assert.True(ex.GetRpcStatus()?.GetDetail<RetryInfo>()?.RetryDelay.ToTimeSpan() > TimeSpan.Zero);
        Assert.Equal(2, _backend.Calls);
    }

    [Fact]
    public async Task StreamingRecognize_NoKey_Unauthenticated()
    {
        using var call = _gateway.Client.StreamingRecognize(cancellationToken: TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }
}
