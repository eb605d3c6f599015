using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.MaskRegistry.Tests.TestSupport;

namespace S3Router.MaskRegistry.Tests.Functional;

/// <summary>Publishing real safetensors mask bundles (Core format) through the production inspector.</summary>
public sealed class RealBundleTests : IAsyncLifetime
{
    private const string Ffn = "encoder.layers.0.feed_forward.intermediate_dense.weight";
    private static readonly string BackboneHex = new('e', 64);
    private static readonly string ParentHex = new('a', 64);
    private RegistryHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await RegistryHost.StartAsync(realBundles: true);
        await _host.Client.RegisterBackboneAsync(new RegisterBackboneRequest
        {
            Digest = "sha256:" + BackboneHex,
            Name = "tiny",
            ConfigJson = "{}",
            Tensors = { new TensorShape { Name = "wav2vec2." + Ffn, Dims = { 4, 8 } } },
        }, cancellationToken: TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task PublishMask_RealBundle_StoresParsedMetadataAndServesSameBytes()
    {
        var bytes = Bundle([4, 8], language: "").ToBytes();

        var published = await _host.PublishAsync(new PublishMaskMetadata { Task = "speaker", LanguageCode = "und" }, bytes);
        var (_, downloaded) = await _host.DownloadAsync("speaker", "und", "v1");

        Assert.Equal("sha256:" + BackboneHex, published.Version.BackboneDigest);
        Assert.Equal(HeadKind.Classifier, published.Version.HeadKind);
        Assert.Equal(3, published.Version.LabelCount);
        Assert.Equal(0.75, Assert.Single(published.Version.MaskedTensors).KeepRatio);
        Assert.Equal("job-7", published.Version.Lineage.JobId);
        Assert.Equal("sha256:" + ParentHex, published.Version.Lineage.ParentBundleDigest);
        Assert.Equal(0, published.Version.Lineage.TorchThreads);
        Assert.Equal("", published.Version.Lineage.OnednnMaxIsa);
        Assert.Equal(bytes, downloaded);
    }

    [Fact]
    public async Task PublishMask_BundleWithTorchThreads_ResolveAndListVersionsCarryIt()
    {
        // Arrange
        var bytes = Bundle([4, 8], language: "", torchThreads: 2).ToBytes();
        var ct = TestContext.Current.CancellationToken;

        // Act
        var published = await _host.PublishAsync(new PublishMaskMetadata { Task = "speaker", LanguageCode = "und" }, bytes);
        var resolved = await _host.Client.ResolveMaskAsync(new ResolveMaskRequest { Task = "speaker", LanguageCode = "und", Ref = "v1" }, cancellationToken: ct);
        var listed = await _host.Client.ListMaskVersionsAsync(new ListMaskVersionsRequest { Task = "speaker", LanguageCode = "und" }, cancellationToken: ct);

        // Assert
        Assert.Equal(2, published.Version.Lineage.TorchThreads);
        Assert.Equal(2, resolved.Version.Lineage.TorchThreads);
        Assert.Equal(2, Assert.Single(listed.Versions).Lineage.TorchThreads);
    }

    [Fact]
    public async Task PublishMask_BundleWithOneDnnLevel_ResolveAndListVersionsCarryIt()
    {
        // Arrange
        var bytes = Bundle([4, 8], language: "", torchThreads: 2, oneDnnMaxIsa: "AVX2").ToBytes();
        var ct = TestContext.Current.CancellationToken;

        // Act
        var published = await _host.PublishAsync(new PublishMaskMetadata { Task = "speaker", LanguageCode = "und" }, bytes);
        var resolved = await _host.Client.ResolveMaskAsync(new ResolveMaskRequest { Task = "speaker", LanguageCode = "und", Ref = "v1" }, cancellationToken: ct);
        var listed = await _host.Client.ListMaskVersionsAsync(new ListMaskVersionsRequest { Task = "speaker", LanguageCode = "und" }, cancellationToken: ct);

        // Assert
        Assert.Equal("AVX2", published.Version.Lineage.OnednnMaxIsa);
        Assert.Equal(("AVX2", 2), (resolved.Version.Lineage.OnednnMaxIsa, resolved.Version.Lineage.TorchThreads));
        Assert.Equal("AVX2", Assert.Single(listed.Versions).Lineage.OnednnMaxIsa);
    }

    [Fact]
    public async Task PublishMask_RealBundleWrongShape_FailedPrecondition()
    {
        var bytes = Bundle([8, 4], language: "").ToBytes();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _host.PublishAsync(new PublishMaskMetadata { Task = "speaker", LanguageCode = "und" }, bytes));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains(Ffn, error.Status.Detail);
    }

    private static MaskBundle Bundle(long[] shape, string language, int torchThreads = 0, string oneDnnMaxIsa = "")
    {
        var bits = Enumerable.Range(0, 32).Select(i => i % 4 != 0).ToArray();
        return new MaskBundle
        {
            Task = "speaker",
            Language = language,
            BackboneDigest = BackboneHex,
            HeadKind = MaskHeadKind.Classifier,
            Labels = ["alice", "bob", "carol"],
            Masks = [MaskTensor.FromBits(Ffn, shape, bits)],
            Heads = [new HeadTensor("head.weight", [3, 8], new float[24]), new HeadTensor("head.bias", [3], new float[3])],
            Lineage = new S3Router.Core.Masks.MaskLineage { JobId = "job-7", PruneRate = 0.75, ParentBundleDigest = ParentHex, TorchThreads = torchThreads, OneDnnMaxIsa = oneDnnMaxIsa },
            Metrics = new Dictionary<string, double> { ["accuracy"] = 0.5 },
        };
    }
}
