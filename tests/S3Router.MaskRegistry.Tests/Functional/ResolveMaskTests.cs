using Google.Rpc;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.MaskRegistry.Tests.TestSupport;

namespace S3Router.MaskRegistry.Tests.Functional;

/// <summary>Ref resolution, aliases and yanking over a real channel.</summary>
public sealed class ResolveMaskTests : IAsyncLifetime
{
    private RegistryHost _host = null!;
    private PublishMaskResponse _v1 = null!;
    private PublishMaskResponse _v2 = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        var backbone = await _host.RegisterBackboneAsync();
        _v1 = await _host.PublishAsync(TestBundle.For(backbone), setAlias: "production");
        _v2 = await _host.PublishAsync(TestBundle.For(backbone), setAlias: "canary");
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("", 1)]
    [InlineData("production", 1)]
    [InlineData("canary", 2)]
    [InlineData("v2", 2)]
    [InlineData("1", 1)]
    public async Task ResolveMask_Ref_PicksVersion(string reference, long expected)
    {
        var reply = await Resolve(reference);

        Assert.Equal(expected, reply.Version.Version);
    }

    [Fact]
    public async Task ResolveMask_DigestWithoutRoute_FindsVersion()
    {
        var reply = await _host.Client.ResolveMaskAsync(new ResolveMaskRequest { Ref = _v2.Version.Digest }, cancellationToken: Ct);

        Assert.Equal(2, reply.Version.Version);
    }

    [Theory]
    [InlineData("nightly")]
    [InlineData("v9")]
    [InlineData("sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task ResolveMask_Unknown_NotFound(string reference)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Resolve(reference));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Theory]
    [InlineData("ASR", "en", "", "task")]
    [InlineData("asr", "english!", "", "language_code")]
    [InlineData("asr", "en", "../../etc/passwd", "ref")]
    [InlineData("asr", "en", "sha256:abc", "ref")]
    [InlineData("asr", "en", "v0", "ref")]
    public async Task ResolveMask_MalformedInput_InvalidArgumentWithField(string task, string language, string reference, string field)
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Client.ResolveMaskAsync(new ResolveMaskRequest { Task = task, LanguageCode = language, Ref = reference }, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task YankMaskVersion_AliasTarget_AliasRefusedButDigestAndDownloadStillWork()
    {
        await _host.Client.YankMaskVersionAsync(new YankMaskVersionRequest { Task = "asr", LanguageCode = "en", Version = 1, Reason = "WER regression" }, cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<RpcException>(() => Resolve("production"));
        var byDigest = await _host.Client.ResolveMaskAsync(new ResolveMaskRequest { Ref = _v1.Version.Digest }, cancellationToken: Ct);
        var (version, bytes) = await _host.DownloadAsync("", "", _v1.Version.Digest);
        var listed = await _host.Client.ListMaskVersionsAsync(new ListMaskVersionsRequest { Task = "asr", LanguageCode = "en" }, cancellationToken: Ct);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("yanked", error.Status.Detail);
        Assert.Contains("WER regression", error.Status.Detail);
        Assert.True(byDigest.Version.Yanked);
        Assert.True(version.Yanked);
        Assert.Equal(_v1.Version.SizeBytes, bytes.Length);
        Assert.Equal([2L], listed.Versions.Select(v => v.Version));
    }

    [Fact]
    public async Task YankMaskVersion_WithoutReason_InvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Client.YankMaskVersionAsync(new YankMaskVersionRequest { Task = "asr", LanguageCode = "en", Version = 1 }, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("reason", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task SetAlias_CompareAndSet_MovesOnlyFromExpected()
    {
        var moved = await _host.Client.SetAliasAsync(new SetAliasRequest { Task = "asr", LanguageCode = "en", Alias = "production", Version = 2, ExpectedVersion = 1 }, cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Client.SetAliasAsync(new SetAliasRequest { Task = "asr", LanguageCode = "en", Alias = "production", Version = 1, ExpectedVersion = 1 }, cancellationToken: Ct));

        Assert.Equal(1, moved.PreviousVersion);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(2, (await Resolve("")).Version.Version);
    }

    [Fact]
    public async Task ListMaskRoutes_AfterPublishes_ShowsRouteWithAliases()
    {
        var reply = await _host.Client.ListMaskRoutesAsync(new ListMaskRoutesRequest(), cancellationToken: Ct);

        var route = Assert.Single(reply.Routes);
        Assert.Equal(2, route.LatestVersion);
        Assert.Equal(1, route.Aliases["production"]);
        Assert.Equal(2, route.Aliases["canary"]);
    }

    private async Task<ResolveMaskResponse> Resolve(string reference) =>
        await _host.Client.ResolveMaskAsync(new ResolveMaskRequest { Task = "asr", LanguageCode = "en", Ref = reference }, cancellationToken: Ct);
}
