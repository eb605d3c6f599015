using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using S3Router.Api.V1;
using S3Router.Core.Hosting;
using S3Router.MaskRegistry.Extensions;
using S3Router.MaskRegistry.Masks;

namespace S3Router.MaskRegistry.Tests.TestSupport;

/// <summary>The registry on real Kestrel on loopback (JSON test bundles), with a GrpcChannel to it.</summary>
internal sealed class RegistryHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsDirectory;

    private RegistryHost(WebApplication app, string dataDirectory, bool ownsDirectory, int grpcPort, int metricsPort)
    {
        _app = app;
        _ownsDirectory = ownsDirectory;
        DataDirectory = dataDirectory;
        MetricsPort = metricsPort;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Client = new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(Channel);
    }

    public string DataDirectory { get; }

    public int MetricsPort { get; }

    public GrpcChannel Channel { get; }

    public S3Router.Api.V1.MaskRegistry.MaskRegistryClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<RegistryHost> StartAsync(IDictionary<string, string?>? settings = null, string? dataDirectory = null, bool realBundles = false)
    {
        var ownsDirectory = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("s3r-registry-host-").FullName;
        var grpcPort = FreePort();
        var metricsPort = FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration["Service:ListenAddress"] = "127.0.0.1";
        builder.Configuration["MaskRegistry:DataDirectory"] = dataDirectory;
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.Configuration[key] = value;
        }
        builder.Logging.ClearProviders();
        if (!realBundles)
        {
            builder.Services.AddSingleton<IBundleInspector, JsonBundleInspector>();
        }
        builder.AddServiceDefaults(grpcPort, metricsPort);
        builder.AddMaskRegistryServices();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapMaskRegistry();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new RegistryHost(app, dataDirectory, ownsDirectory, grpcPort, metricsPort);
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
    public async Task<PublishMaskResponse> PublishAsync(PublishMaskMetadata metadata, byte[] bytes, Metadata? headers = null, int chunkBytes = 4096)
    {
        using var call = Client.PublishMask(headers, cancellationToken: TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new PublishMaskRequest { Metadata = metadata });
        for (var offset = 0; offset < bytes.Length; offset += chunkBytes)
        {
            var length = Math.Min(chunkBytes, bytes.Length - offset);
            await call.RequestStream.WriteAsync(new PublishMaskRequest { Chunk = ByteString.CopyFrom(bytes, offset, length) });
        }
        await call.RequestStream.CompleteAsync();
        return await call;
    }

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
        Channel.Dispose();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (_ownsDirectory)
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
