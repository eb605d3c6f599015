using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.MaskRegistry.Extensions;
using S3Router.Testing;

namespace S3Router.Cli.Tests.Commands;

/// <summary><c>s3r masks</c> against a real registry on loopback, publishing a real bundle.</summary>
public sealed class MasksCommandTests : IAsyncLifetime
{
    private const string Ffn = "encoder.layers.0.feed_forward.intermediate_dense.weight";
    private static readonly string BackboneHex = new('e', 64);

    private readonly string _root = Directory.CreateTempSubdirectory("s3r-masks-cli-").FullName;
    private LoopbackService _registry = null!;

    public async ValueTask InitializeAsync()
    {
        _registry = await LoopbackService.StartAsync(
            [new("MaskRegistry:DataDirectory", Path.Combine(_root, "registry"))],
            builder => builder.AddMaskRegistryServices(),
            app => app.MapMaskRegistry(),
            TestContext.Current.CancellationToken);
        await new Api.V1.MaskRegistry.MaskRegistryClient(_registry.Channel).RegisterBackboneAsync(new RegisterBackboneRequest
        {
            Digest = "sha256:" + BackboneHex,
            Name = "tiny",
            ConfigJson = "{}",
            Tensors = { new TensorShape { Name = "wav2vec2." + Ffn, Dims = { 4, 8 } } },
        }, cancellationToken: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _registry.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Show_PublishedBundleWithTorchThreadsAndOneDnnLevel_PrintsBothInTheLineage()
    {
        // Arrange
        var path = Path.Combine(_root, "speaker.safetensors");
        Bundle(torchThreads: 3, oneDnnMaxIsa: "AVX2").WriteToFile(path);
        using var published = new StringWriter();
        var publishCode = await Run(["masks", "publish", path], published);
        using var output = new StringWriter();

        // Act
        var exitCode = await Run(["masks", "show", "speaker", "und", "v1"], output);

        // Assert
        Assert.True(publishCode == 0, published.ToString());
        Assert.Equal(0, exitCode);
        var lineage = Google.Protobuf.JsonParser.Default.Parse<MaskVersion>(output.ToString()).Lineage;
        Assert.Equal(("job-9", 3, "AVX2"), (lineage.JobId, lineage.TorchThreads, lineage.OnednnMaxIsa));
    }

    private Task<int> Run(string[] args, TextWriter output) =>
        CliApp.RunAsync([.. args, "--registry", _registry.Address], output, TextWriter.Null, TestContext.Current.CancellationToken);

    private static MaskBundle Bundle(int torchThreads, string oneDnnMaxIsa) => new()
    {
        Task = "speaker",
        BackboneDigest = BackboneHex,
        HeadKind = MaskHeadKind.Classifier,
        Labels = ["alice", "bob"],
        Masks = [MaskTensor.FromBits(Ffn, [4, 8], Enumerable.Range(0, 32).Select(i => i % 2 == 0).ToArray())],
        Heads = [new HeadTensor("head.weight", [2, 8], new float[16]), new HeadTensor("head.bias", [2], new float[2])],
        Lineage = new Core.Masks.MaskLineage { JobId = "job-9", PruneRate = 0.5, TorchThreads = torchThreads, OneDnnMaxIsa = oneDnnMaxIsa },
    };
}
