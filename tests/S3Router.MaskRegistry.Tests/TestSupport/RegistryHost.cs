using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.MaskRegistry.Extensions;
using S3Router.MaskRegistry.Masks;
using S3Router.Testing;

namespace S3Router.MaskRegistry.Tests.TestSupport;

/// <summary>The registry on real Kestrel on loopback (JSON test bundles unless real ones are asked for), with a client to it.</summary>
internal sealed class RegistryHost : IAsyncDisposable
{
    private readonly LoopbackService _service;
    private readonly bool _ownsDirectory;

    private RegistryHost(LoopbackService service, string dataDirectory, bool ownsDirectory)
    {
        _service = service;
        _ownsDirectory = ownsDirectory;
        DataDirectory = dataDirectory;
        Client = new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(service.Channel);
    }

    public string DataDirectory { get; }

    /// <summary>The gRPC endpoint, <c>http://127.0.0.1:PORT</c>.</summary>
    public string Address => _service.Address;

    public int MetricsPort => _service.MetricsPort;

    public GrpcChannel Channel => _service.Channel;

    public S3Router.Api.V1.MaskRegistry.MaskRegistryClient Client { get; }

    public IServiceProvider Services => _service.Services;

    public static async Task<RegistryHost> StartAsync(IDictionary<string, string?>? settings = null, string? dataDirectory = null, bool realBundles = false)
    {
        var ownsDirectory = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("s3r-registry-host-").FullName;
        var service = await LoopbackService.StartAsync(
            [new("MaskRegistry:DataDirectory", dataDirectory), .. settings ?? new Dictionary<string, string?>()],
            builder =>
            {
                if (!realBundles)
                {
                    builder.Services.AddSingleton<IBundleInspector, JsonBundleInspector>();
                }
                builder.AddMaskRegistryServices();
            },
            app => app.MapMaskRegistry(),
            TestContext.Current.CancellationToken);
        return new RegistryHost(service, dataDirectory, ownsDirectory);
    }

    /// <summary>Registers the test backbone (admin headers when given) and returns its digest.</summary>
    public async Task<string> RegisterBackboneAsync(Metadata? headers = null)
    {
        var backbone = Samples.Backbone();
        await Client.RegisterBackboneAsync(new RegisterBackboneRequest
        {
            Digest = backbone.Digest,
            Name = backbone.Name,
            ConfigJson = backbone.ConfigJson,
            Tensors = { backbone.Tensors },
        }, headers, cancellationToken: TestContext.Current.CancellationToken);
        return backbone.Digest;
    }

    /// <summary>Streams <paramref name="bytes"/> in chunks after <paramref name="metadata"/>.</summary>
    public Task<PublishMaskResponse> PublishAsync(PublishMaskMetadata metadata, byte[] bytes, Metadata? headers = null, int chunkBytes = 4096) =>
        Client.PublishBundleAsync(metadata, bytes, new CallOptions(headers, cancellationToken: TestContext.Current.CancellationToken), chunkBytes);

    public Task<PublishMaskResponse> PublishAsync(TestBundle bundle, Metadata? headers = null, string setAlias = "")
    {
        var bytes = bundle.ToBytes();
        return PublishAsync(new PublishMaskMetadata { Task = bundle.Task, LanguageCode = bundle.Language, SetAlias = setAlias, SizeBytes = bytes.Length }, bytes, headers);
    }

    public async Task<(MaskVersion Version, byte[] Bytes)> DownloadAsync(string task, string language, string reference)
    {
        using var call = Client.DownloadMask(new DownloadMaskRequest { Task = task, LanguageCode = language, Ref = reference },
            cancellationToken: TestContext.Current.CancellationToken);
        MaskVersion? version = null;
        using var bytes = new MemoryStream();
        await foreach (var message in call.ResponseStream.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            if (message.ContentCase == DownloadMaskResponse.ContentOneofCase.Version)
            {
                version = message.Version;
            }
            else
            {
                message.Chunk.WriteTo(bytes);
            }
        }
        return (version!, bytes.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        if (_ownsDirectory)
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
