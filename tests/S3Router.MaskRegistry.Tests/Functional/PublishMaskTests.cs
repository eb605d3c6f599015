using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.MaskRegistry.Tests.TestSupport;
using S3Router.Testing;

namespace S3Router.MaskRegistry.Tests.Functional;

/// <summary>PublishMask, ResolveMask and DownloadMask over a real channel, including every way an upload can be wrong.</summary>
public sealed class PublishMaskTests : IAsyncLifetime
{
    private RegistryHost _host = null!;
    private string _backbone = "";

    public async ValueTask InitializeAsync()
    {
        _host = await RegistryHost.StartAsync(new Dictionary<string, string?> { ["MaskRegistry:MaxBundleBytes"] = "65536" });
        _backbone = await _host.RegisterBackboneAsync();
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PublishMask_ValidBundle_VisibleAndDownloadsSameBytes()
    {
        var bundle = TestBundle.For(_backbone, paddingBytes: 20_000);
        var bytes = bundle.ToBytes();

        var published = await _host.PublishAsync(bundle, setAlias: "production");
        var resolved = await _host.Client.ResolveMaskAsync(new ResolveMaskRequest { Task = "asr", LanguageCode = "en" }, cancellationToken: Ct);
        var (version, downloaded) = await _host.DownloadAsync("asr", "en", "v1");

        Assert.True(published.Created);
        Assert.Equal(1, published.Version.Version);
        Assert.Equal(TestBundle.DigestOf(bytes), published.Version.Digest);
        Assert.Equal("anonymous", published.Version.Creator);
        Assert.Equal(["production"], resolved.Version.Aliases);
        Assert.Equal(published.Version.Digest, version.Digest);
        Assert.Equal(bytes, downloaded);
    }

    [Fact]
    public async Task PublishMask_SameBytesAgain_ReturnsExistingVersion()
    {
        var bundle = TestBundle.For(_backbone);
        await _host.PublishAsync(bundle);

        var again = await _host.PublishAsync(bundle);

        Assert.False(again.Created);
        Assert.Equal(1, again.Version.Version);
    }

    [Fact]
    public async Task PublishMask_UnknownBackbone_FailedPreconditionNamingDigest()
    {
        var unknown = Samples.Digest('c');

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.PublishAsync(TestBundle.For(unknown)));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains(unknown, error.Status.Detail);
        Assert.Contains("not registered", error.Status.Detail);
    }

    [Fact]
    public async Task PublishMask_ShapeMismatch_FailedPreconditionNamingTensor()
    {
        var bundle = TestBundle.For(_backbone) with { Tensors = [new TestTensor(TestBundle.FfnName, [8, 16], 0.9)] };

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.PublishAsync(bundle));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("[8, 16]", error.Status.Detail);
        Assert.Contains("[16, 8]", error.Status.Detail);
    }

    [Fact]
    public async Task PublishMask_WrongExpectedDigest_InvalidArgumentAndNothingVisible()
    {
        var bytes = TestBundle.For(_backbone).ToBytes();
        var metadata = new PublishMaskMetadata { Task = "asr", LanguageCode = "en", ExpectedDigest = Samples.Digest('d') };

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.PublishAsync(metadata, bytes));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("metadata.expected_digest", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        await AssertNoVersionsAsync();
    }

    [Fact]
    public async Task PublishMask_TruncatedUpload_InvalidArgumentSayingTruncated()
    {
        var bytes = TestBundle.For(_backbone).ToBytes();
        var metadata = new PublishMaskMetadata { Task = "asr", LanguageCode = "en", SizeBytes = bytes.Length };

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.PublishAsync(metadata, bytes[..(bytes.Length / 2)]));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("truncated", error.Status.Detail);
        await AssertNoVersionsAsync();
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_host.DataDirectory, "blobs", "tmp")));
    }

    [Fact]
    public async Task PublishMask_NotABundle_InvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _host.PublishAsync(new PublishMaskMetadata { Task = "asr", LanguageCode = "en" }, "garbage"u8.ToArray()));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("not a mask bundle", error.Status.Detail);
    }

    [Fact]
    public async Task PublishMask_BundleForAnotherRoute_InvalidArgument()
    {
        var bytes = TestBundle.For(_backbone, language: "de").ToBytes();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _host.PublishAsync(new PublishMaskMetadata { Task = "asr", LanguageCode = "en" }, bytes));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("asr/de", error.Status.Detail);
    }

    [Fact]
    public async Task PublishMask_LargerThanLimit_ResourceExhausted()
    {
        // Refused on the declared size while chunks are still going out (4 MiB is more than HTTP/2 flow control lets through
        // unread), and the late channel hands the answer over only after a write has failed: the interleaving that, under
        // load, once surfaced as CANCELLED.
        var bytes = TestBundle.For(_backbone, paddingBytes: 4 * 1024 * 1024).ToBytes();
        var metadata = new PublishMaskMetadata { Task = "asr", LanguageCode = "en", SizeBytes = bytes.Length };
        using var channel = GrpcChannel.ForAddress(_host.Address, new GrpcChannelOptions { HttpHandler = new LateResponseHandler() });
        var client = new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.PublishBundleAsync(metadata, bytes, new CallOptions(cancellationToken: Ct)));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("MaxBundleBytes", error.Status.Detail);
    }

    [Fact]
    public async Task PublishMask_MalformedNames_InvalidArgumentListingEveryField()
    {
        var metadata = new PublishMaskMetadata { Task = "../etc", LanguageCode = "EN/../x", SetAlias = "v3", ExpectedDigest = "sha256:zz" };

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.PublishAsync(metadata, [1, 2, 3]));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).Order();
        Assert.Equal(["metadata.expected_digest", "metadata.language_code", "metadata.set_alias", "metadata.task"], fields);
    }

    [Fact]
    public async Task PublishMask_ChunkBeforeMetadata_InvalidArgument()
    {
        using var call = _host.Client.PublishMask(cancellationToken: Ct);
        await call.RequestStream.WriteAsync(new PublishMaskRequest { Chunk = Google.Protobuf.ByteString.CopyFromUtf8("x") }, Ct);
        await call.RequestStream.CompleteAsync();

        var error = await Assert.ThrowsAsync<RpcException>(async () => await call);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("first message", error.Status.Detail);
    }

    [Fact]
    public async Task PublishMask_32ConcurrentPublishers_DistinctConsecutiveVersions()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => _host.PublishAsync(TestBundle.For(_backbone))));

        Assert.Equal(Enumerable.Range(1, 32).Select(i => (long)i), results.Select(r => r.Version.Version).Order());
    }

    [Fact]
    public async Task DownloadMask_CorruptedBlob_FailedPreconditionAndNoBytes()
    {
        var published = await _host.PublishAsync(TestBundle.For(_backbone));
        var hex = published.Version.Digest["sha256:".Length..];
        var path = Path.Combine(_host.DataDirectory, "blobs", "sha256", hex[..2], hex);
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        bytes[10] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes, Ct);

        using var call = _host.Client.DownloadMask(new DownloadMaskRequest { Ref = published.Version.Digest }, cancellationToken: Ct);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(Ct));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("corrupted", error.Status.Detail);
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{_host.MetricsPort}/metrics", Ct);
        var line = metrics.Split('\n').Single(l => l.StartsWith("s3router_registry_blob_corrupt_total ", StringComparison.Ordinal));
        Assert.True(double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Fact]
    public async Task Metrics_AfterPublishAndResolve_ExposeRegistryCounters()
    {
        await _host.PublishAsync(TestBundle.For(_backbone));
        await _host.Client.ResolveMaskAsync(new ResolveMaskRequest { Task = "asr", LanguageCode = "en", Ref = "1" }, cancellationToken: Ct);
        using var http = new HttpClient();

        var metrics = await http.GetStringAsync($"http://127.0.0.1:{_host.MetricsPort}/metrics", Ct);

        Assert.Contains("s3router_registry_publish_total{status=\"created\"}", metrics);
        Assert.Contains("s3router_registry_resolve_duration_seconds_bucket", metrics);
        Assert.Contains("s3router_registry_blob_bytes_total{direction=\"in\"}", metrics);
    }

    private async Task AssertNoVersionsAsync()
    {
        var routes = await _host.Client.ListMaskRoutesAsync(new ListMaskRoutesRequest(), cancellationToken: Ct);
        Assert.Empty(routes.Routes);
    }
}
