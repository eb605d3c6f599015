using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.MaskRegistry.Tests.TestSupport;

namespace S3Router.MaskRegistry.Tests.Functional;

/// <summary>API keys and roles through the interceptor, over a real channel.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private static readonly Metadata Admin = new() { { "authorization", "Bearer admin-secret" } };
    private static readonly Metadata Publisher = new() { { "x-api-key", "publisher-secret" } };
    private static readonly Metadata Reader = new() { { "authorization", "Bearer reader-secret" } };
    private RegistryHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        var publisherHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("publisher-secret")));
        _host = await RegistryHost.StartAsync(new Dictionary<string, string?>
        {
            ["MaskRegistry:Auth:Keys:0:Name"] = "ops",
            ["MaskRegistry:Auth:Keys:0:Key"] = "admin-secret",
            ["MaskRegistry:Auth:Keys:0:Role"] = "Admin",
            ["MaskRegistry:Auth:Keys:1:Name"] = "trainer",
            ["MaskRegistry:Auth:Keys:1:KeySha256"] = publisherHash,
            ["MaskRegistry:Auth:Keys:1:Role"] = "Publisher",
            ["MaskRegistry:Auth:Keys:2:Name"] = "pod",
            ["MaskRegistry:Auth:Keys:2:Key"] = "reader-secret",
            ["MaskRegistry:Auth:Keys:2:Role"] = "Reader",
        });
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PublishMask_PublisherKey_RecordsKeyNameAsCreator()
    {
        var backbone = await _host.RegisterBackboneAsync(Admin);

        var published = await _host.PublishAsync(TestBundle.For(backbone), Publisher);

        Assert.Equal("trainer", published.Version.Creator);
    }

    [Fact]
    public async Task AnalyzeMaskSimilarity_ReaderKey_PassesAuthAndReachesValidation()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Client.AnalyzeMaskSimilarityAsync(new AnalyzeMaskSimilarityRequest(), Reader, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task AnalyzeMaskSimilarity_NoKey_Unauthenticated()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Client.AnalyzeMaskSimilarityAsync(new AnalyzeMaskSimilarityRequest(), cancellationToken: Ct));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task ResolveMask_NoKey_Unauthenticated()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Client.ResolveMaskAsync(new ResolveMaskRequest { Task = "asr", LanguageCode = "en" }, cancellationToken: Ct));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("x-api-key", error.Status.Detail);
    }

    [Fact]
    public async Task ListMaskRoutes_UnknownKey_Unauthenticated()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Client.ListMaskRoutesAsync(new ListMaskRoutesRequest(), new Metadata { { "x-api-key", "guess" } }, cancellationToken: Ct));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task PublishMask_ReaderKey_PermissionDenied()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.PublishAsync(TestBundle.For(Samples.Digest()), Reader));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains("publisher", error.Status.Detail);
    }

    [Fact]
    public async Task RegisterBackbone_PublisherKey_PermissionDenied()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.RegisterBackboneAsync(Publisher));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task ListMaskRoutes_ReaderKey_Allowed()
    {
        var reply = await _host.Client.ListMaskRoutesAsync(new ListMaskRoutesRequest(), Reader, cancellationToken: Ct);

        Assert.Empty(reply.Routes);
    }

    [Fact]
    public async Task AnonymousRead_SwitchedOn_ReadsWithoutKeyButNotWrites()
    {
        await using var open = await RegistryHost.StartAsync(new Dictionary<string, string?>
        {
            ["MaskRegistry:Auth:AllowAnonymousRead"] = "true",
            ["MaskRegistry:Auth:Keys:0:Name"] = "ops",
            ["MaskRegistry:Auth:Keys:0:Key"] = "admin-secret",
            ["MaskRegistry:Auth:Keys:0:Role"] = "Admin",
        });

        var routes = await open.Client.ListMaskRoutesAsync(new ListMaskRoutesRequest(), cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await open.Client.SetAliasAsync(new SetAliasRequest { Task = "asr", LanguageCode = "en", Alias = "production", Version = 1 }, cancellationToken: Ct));

        Assert.Empty(routes.Routes);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Health_WithAuthOn_StillServesProbesWithoutKey()
    {
        var health = new global::Grpc.Health.V1.Health.HealthClient(_host.Channel);

        var reply = await health.CheckAsync(new global::Grpc.Health.V1.HealthCheckRequest { Service = "ready" }, cancellationToken: Ct);

        Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }
}
