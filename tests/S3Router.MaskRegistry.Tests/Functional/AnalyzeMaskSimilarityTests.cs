using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Core.Analysis;
using S3Router.Core.Masks;
using S3Router.MaskRegistry.Tests.TestSupport;

namespace S3Router.MaskRegistry.Tests.Functional;

/// <summary>AnalyzeMaskSimilarity on a registry on loopback, with real bundles of random masks over a tiny 2-layer backbone.</summary>
public sealed class AnalyzeMaskSimilarityTests : IAsyncLifetime
{
    private static readonly string BackboneHex = new('d', 64);
    private static readonly string[] Tensors =
    [
        "encoder.layers.0.feed_forward.intermediate_dense.weight",
        "encoder.layers.0.feed_forward.output_dense.weight",
        "encoder.layers.1.feed_forward.intermediate_dense.weight",
        "encoder.layers.1.feed_forward.output_dense.weight",
    ];
    private static readonly long[][] Shapes = [[16, 8], [8, 16], [16, 8], [8, 16]];
    private RegistryHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await RegistryHost.StartAsync(realBundles: true);
        await _host.Client.RegisterBackboneAsync(new RegisterBackboneRequest
        {
            Digest = "sha256:" + BackboneHex,
            Name = "tiny",
            ConfigJson = "{}",
            Tensors = { Tensors.Select((name, i) => new TensorShape { Name = name, Dims = { Shapes[i] } }) },
        }, cancellationToken: Ct);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnalyzeMaskSimilarity_ThreeRoutes_MatchesCoreComputationOnTheSameBundles()
    {
        var random = new Random(42);
        var bundles = new[] { Bundle(random, "en", 0.9), Bundle(random, "de", 0.9), Bundle(random, "fr", 0.5) };
        var published = new List<MaskVersion>();
        foreach (var bundle in bundles)
        {
            published.Add((await PublishAsync(bundle, alias: "production")).Version);
        }

        var reply = await _host.Client.AnalyzeMaskSimilarityAsync(new AnalyzeMaskSimilarityRequest
        {
            Routes = { Route("en"), Route("de"), Route("fr", "v1") },
        }, cancellationToken: Ct);

        var expected = MaskSimilarity.Compute(["asr/en@v1", "asr/de@v1", "asr/fr@v1"], bundles, Ct);
        Assert.Equal(published.Select(v => v.Digest), reply.Routes.Select(r => r.Digest));
        Assert.Equal(["en", "de", "fr"], reply.Routes.Select(r => r.LanguageCode));
        Assert.All(reply.Routes, r => Assert.Equal(1, r.Version));
        Assert.Equal(expected.Overall.Jaccard.RowMajor, reply.Overall.Jaccard);
        Assert.Equal(expected.Overall.Hamming.RowMajor, reply.Overall.Hamming);
        Assert.Equal([0, 1], reply.Layers.Select(l => l.Layer));
        Assert.Equal(expected.Layers[1].Jaccard.RowMajor, reply.Layers[1].Similarity.Jaccard);
        Assert.Equal(Tensors, reply.Tensors.Select(t => t.Name));
        Assert.Equal(1, reply.Tensors[3].Layer);
        Assert.Equal(expected.Tensors[3].Hamming.RowMajor, reply.Tensors[3].Similarity.Hamming);
        Assert.Empty(reply.SkippedTensors);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1.0, reply.Overall.Jaccard[i * 3 + i]);
            for (var j = 0; j < 3; j++)
            {
                Assert.Equal(reply.Overall.Jaccard[i * 3 + j], reply.Overall.Jaccard[j * 3 + i]);
            }
        }
        // Two routes keeping 90% overlap more with each other than with the one keeping 50%.
        Assert.True(reply.Overall.Jaccard[1] > reply.Overall.Jaccard[2]);
    }

    [Fact]
    public async Task AnalyzeMaskSimilarity_RouteMaskingFewerTensors_ReportsSkippedTensors()
    {
        var random = new Random(5);
        await PublishAsync(Bundle(random, "en", 0.9));
        await PublishAsync(Bundle(random, "de", 0.9, layers: 1));

        var reply = await _host.Client.AnalyzeMaskSimilarityAsync(new AnalyzeMaskSimilarityRequest
        {
            Routes = { Route("en", "v1"), Route("de", "v1") },
        }, cancellationToken: Ct);

        Assert.Equal(Tensors[2..], reply.SkippedTensors.Select(t => t.Name));
        Assert.All(reply.SkippedTensors, t => Assert.Equal([0], t.MaskedBy));
        Assert.True(double.IsNaN(reply.Layers[1].Similarity.Jaccard[1]));
        Assert.Equal(reply.Layers[0].Similarity.Jaccard[1], reply.Overall.Jaccard[1]);
    }

    [Fact]
    public async Task AnalyzeMaskSimilarity_OneRouteAndBadNames_InvalidArgumentNamingFields()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Client.AnalyzeMaskSimilarityAsync(new AnalyzeMaskSimilarityRequest
            {
                Routes = { new RouteSelector { Task = "ASR", LanguageCode = "en" } },
            }, cancellationToken: Ct));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("routes:", error.Status.Detail);
        Assert.Contains("routes[0].task", error.Status.Detail);
    }

    [Fact]
    public async Task AnalyzeMaskSimilarity_UnknownRoute_NotFound()
    {
        await PublishAsync(Bundle(new Random(1), "en", 0.9));

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Client.AnalyzeMaskSimilarityAsync(new AnalyzeMaskSimilarityRequest
            {
                Routes = { Route("en", "v1"), Route("sv", "v1") },
            }, cancellationToken: Ct));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("asr/sv", error.Status.Detail);
    }

    [Fact]
    public async Task AnalyzeMaskSimilarity_CorruptedBlob_FailedPrecondition()
    {
        var version = (await PublishAsync(Bundle(new Random(2), "en", 0.9))).Version;
        await PublishAsync(Bundle(new Random(3), "de", 0.9));
        var hex = version.Digest["sha256:".Length..];
        var blob = Directory.EnumerateFiles(_host.DataDirectory, hex, SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(blob, Ct);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(blob, bytes, Ct);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await _host.Client.AnalyzeMaskSimilarityAsync(new AnalyzeMaskSimilarityRequest
            {
                Routes = { Route("en", "v1"), Route("de", "v1") },
            }, cancellationToken: Ct));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("corrupted", error.Status.Detail);
    }

    [Fact]
    public async Task AnalyzeMaskSimilarity_OverMemoryBudget_ResourceExhausted()
    {
        await using var host = await RegistryHost.StartAsync(new Dictionary<string, string?> { ["MaskRegistry:MaxAnalysisBytes"] = "1024" }, realBundles: true);
        await host.Client.RegisterBackboneAsync(new RegisterBackboneRequest
        {
            Digest = "sha256:" + BackboneHex,
            Name = "tiny",
            ConfigJson = "{}",
            Tensors = { Tensors.Select((name, i) => new TensorShape { Name = name, Dims = { Shapes[i] } }) },
        }, cancellationToken: Ct);
        var random = new Random(4);
        foreach (var language in new[] { "en", "de" })
        {
            var bytes = Bundle(random, language, 0.9).ToBytes();
            await host.PublishAsync(new PublishMaskMetadata { Task = "asr", LanguageCode = language }, bytes);
        }

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await host.Client.AnalyzeMaskSimilarityAsync(new AnalyzeMaskSimilarityRequest
            {
                Routes = { Route("en", "v1"), Route("de", "v1") },
            }, cancellationToken: Ct));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("MaxAnalysisBytes", error.Status.Detail);
    }

    private static RouteSelector Route(string language, string reference = "") =>
        new() { Task = "asr", LanguageCode = language, MaskRef = reference };

    private Task<PublishMaskResponse> PublishAsync(MaskBundle bundle, string alias = "") =>
        _host.PublishAsync(new PublishMaskMetadata { Task = bundle.Task, LanguageCode = bundle.Language, SetAlias = alias }, bundle.ToBytes());

    private static MaskBundle Bundle(Random random, string language, double keep, int layers = 2) => new()
    {
        Task = "asr",
        Language = language,
        BackboneDigest = BackboneHex,
        HeadKind = MaskHeadKind.Ctc,
        Labels = ["<pad>", "a", "b"],
        Masks = Tensors.Take(layers * 2).Select((name, i) =>
        {
            var count = (int)(Shapes[i][0] * Shapes[i][1]);
            return MaskTensor.FromBits(name, Shapes[i], Enumerable.Range(0, count).Select(_ => random.NextDouble() < keep).ToArray());
        }).ToList(),
        Heads = [new HeadTensor("head.weight", [3, 8], new float[24])],
    };
}
