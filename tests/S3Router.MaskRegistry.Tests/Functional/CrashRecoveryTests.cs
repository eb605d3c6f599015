using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.MaskRegistry.Tests.TestSupport;
using S3Router.Testing;

namespace S3Router.MaskRegistry.Tests.Functional;

/// <summary>The registry as a real process, killed with SIGKILL in the middle of a large publish, then restarted.</summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private const string Ffn = "encoder.layers.0.feed_forward.intermediate_dense.weight";
    private static readonly string BackboneHex = new('f', 64);
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("s3r-registry-crash-").FullName;

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    [Fact]
    public async Task PublishMask_ProcessKilledMidUpload_RestartShowsNoPartialVersionAndEarlierIntact()
    {
        var ct = TestContext.Current.CancellationToken;
        var small = Bundle(rows: 64).ToBytes();
        var large = Bundle(rows: 16384).ToBytes(); // ~12 MB of mask bits
        MaskVersion v1;
        using (var first = await RegistryProcess.StartAsync(_dataDirectory, ct))
        {
            await first.Client.RegisterBackboneAsync(new RegisterBackboneRequest
            {
                Digest = "sha256:" + BackboneHex, Name = "crash", ConfigJson = "{}",
                Tensors = { new TensorShape { Name = Ffn, Dims = { 16384, 768 } }, new TensorShape { Name = "small." + Ffn, Dims = { 64, 768 } } },
            }, cancellationToken: ct);
            v1 = (await Publish(first.Client, small, ct)).Version;

            var call = first.Client.PublishMask(cancellationToken: ct);
            await call.RequestStream.WriteAsync(new PublishMaskRequest { Metadata = new PublishMaskMetadata { Task = "asr", LanguageCode = "en", SizeBytes = large.Length } }, ct);
            for (var offset = 0; offset < large.Length / 2; offset += 256 * 1024)
            {
                await call.RequestStream.WriteAsync(new PublishMaskRequest { Chunk = ByteString.CopyFrom(large, offset, 256 * 1024) }, ct);
            }
            await WaitUntilAsync(() => Directory.EnumerateFiles(Path.Combine(_dataDirectory, "blobs", "tmp")).Any(f => new FileInfo(f).Length > 0), ct);
            first.Kill(); // SIGKILL
            call.Dispose();
        }

        using var second = await RegistryProcess.StartAsync(_dataDirectory, ct);
        var versions = await second.Client.ListMaskVersionsAsync(new ListMaskVersionsRequest { Task = "asr", LanguageCode = "en", IncludeYanked = true }, cancellationToken: ct);
        var download = await Download(second.Client, v1.Digest, ct);
        var routes = await second.Client.ListMaskRoutesAsync(new ListMaskRoutesRequest(), cancellationToken: ct);
        await WaitUntilAsync(() => !Directory.EnumerateFiles(Path.Combine(_dataDirectory, "blobs", "tmp")).Any(), ct);

        Assert.Equal([1L], versions.Versions.Select(v => v.Version));
        Assert.Equal(small, download);
        Assert.Equal(1, Assert.Single(routes.Routes).VersionCount);
        Assert.Single(Directory.EnumerateFiles(Path.Combine(_dataDirectory, "blobs", "sha256"), "*", SearchOption.AllDirectories));
        var again = await Publish(second.Client, large, ct); // the interrupted bundle can simply be sent again
        Assert.Equal(2, again.Version.Version);
    }

    private static MaskBundle Bundle(int rows) => new()
    {
        Task = "asr",
        Language = "en",
        BackboneDigest = BackboneHex,
        HeadKind = MaskHeadKind.Ctc,
        Labels = ["<pad>", "a", "b"],
        Masks = [MaskTensor.FromBits(rows == 64 ? "small." + Ffn : Ffn, [rows, 768], Enumerable.Range(0, rows * 768).Select(i => (i * 7919) % 10 != 0).ToArray())],
        Heads = [new HeadTensor("head.bias", [3], new float[3])],
    };

    private static Task<PublishMaskResponse> Publish(S3Router.Api.V1.MaskRegistry.MaskRegistryClient client, byte[] bytes, CancellationToken ct) =>
        client.PublishBundleAsync(new PublishMaskMetadata { Task = "asr", LanguageCode = "en", SizeBytes = bytes.Length }, bytes, new CallOptions(cancellationToken: ct));

    private static async Task<byte[]> Download(S3Router.Api.V1.MaskRegistry.MaskRegistryClient client, string digest, CancellationToken ct)
    {
        using var call = client.DownloadMask(new DownloadMaskRequest { Ref = digest }, cancellationToken: ct);
        using var bytes = new MemoryStream();
        await foreach (var m in call.ResponseStream.ReadAllAsync(ct))
        {
            if (m.ContentCase == DownloadMaskResponse.ContentOneofCase.Chunk)
            {
                m.Chunk.WriteTo(bytes);
            }
        }
        return bytes.ToArray();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>The built S3Router.MaskRegistry.dll run with dotnet on free loopback ports.</summary>
    private sealed class RegistryProcess : IDisposable
    {
        private readonly Process _process;

        private RegistryProcess(Process process, int port)
        {
            _process = process;
            Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            Client = new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(Channel);
        }

        public GrpcChannel Channel { get; }

        public S3Router.Api.V1.MaskRegistry.MaskRegistryClient Client { get; }

        public static async Task<RegistryProcess> StartAsync(string dataDirectory, CancellationToken ct)
        {
            var port = LoopbackPort.Free();
            var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "S3Router.MaskRegistry.dll")])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = dataDirectory,
            };
            info.Environment["Service__ListenAddress"] = "127.0.0.1";
            info.Environment["Service__GrpcPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            info.Environment["Service__MetricsPort"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
            info.Environment["MaskRegistry__DataDirectory"] = dataDirectory;
            info.Environment["MaskRegistry__OrphanGracePeriod"] = "00:00:00";
            info.Environment["Logging__LogLevel__Default"] = "Warning";
            var process = Process.Start(info)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var registry = new RegistryProcess(process, port);
            var health = new global::Grpc.Health.V1.Health.HealthClient(registry.Channel);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            while (true)
            {
                try
                {
                    var reply = await health.CheckAsync(new global::Grpc.Health.V1.HealthCheckRequest { Service = "ready" }, cancellationToken: timeout.Token);
                    if (reply.Status == global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving)
                    {
                        return registry;
                    }
                }
                catch (RpcException) when (!timeout.IsCancellationRequested && !process.HasExited)
                {
                    // not listening yet
                }
                await Task.Delay(100, timeout.Token);
            }
        }

        public void Kill()
        {
            _process.Kill(entireProcessTree: false); // SIGKILL on Linux
            _process.WaitForExit();
        }

        public void Dispose()
        {
            Channel.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }
            _process.Dispose();
        }
    }
}
