using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using S3Router.Testing;
using S3Router.Api.V1;
using S3Router.Core.Backbones;
using S3Router.Core.Hosting;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;
using S3Router.InferenceService.Extensions;
using S3Router.InferenceService.Tests.Onnx;
using S3Router.MaskRegistry.Extensions;
using MaskLineage = S3Router.Core.Masks.MaskLineage;

namespace S3Router.InferenceService.Tests.Functional;

/// <summary>
/// A real MaskRegistry and the InferenceService, both on loopback Kestrel, with a tiny random backbone registered and
/// route bundles published: asr/en (v1 production, v2), asr/fr (v1 production, v2: for the hot swap), speaker/und
/// (v1 production, attentive classifier), asr/de (production bundle for another backbone).
/// </summary>
public sealed class ServingPlatform : IAsyncLifetime
{
    public static readonly string[] Vocabulary = ["<blank>", "|", "a", "b", "c", "d"];
    public static readonly string[] Speakers = ["alice", "bob", "carol"];

    private readonly List<WebApplication> _apps = [];
    private readonly string _root = Directory.CreateTempSubdirectory("s3r-inference-functional-").FullName;

    public Wav2Vec2Config Config { get; } = TinyConfigs.Base;

    public string BackboneHex { get; private set; } = "";

    public GrpcChannel RegistryChannel { get; private set; } = null!;

    public Api.V1.MaskRegistry.MaskRegistryClient Registry { get; private set; } = null!;

    public GrpcChannel InferenceChannel { get; private set; } = null!;

    public Speech.SpeechClient Speech { get; private set; } = null!;

    public Dictionary<string, MaskVersion> Published { get; } = [];

    public async ValueTask InitializeAsync()
    {
        var token = TestContext.Current.CancellationToken;
        var backboneDirectory = Path.Combine(_root, "backbone");
        Directory.CreateDirectory(backboneDirectory);
        var weights = RandomCheckpoint.Weights(Config, seed: 11);
        var writer = new SafetensorsWriter();
        foreach (var (name, tensor) in weights)
        {
            writer.AddFloat32(name, tensor.Shape, tensor.Data);
        }

        var weightsPath = Path.Combine(backboneDirectory, "model.safetensors");
        writer.WriteToFile(weightsPath);
        await Wav2Vec2ConfigJson.SaveAsync(Config, Path.Combine(backboneDirectory, Wav2Vec2ConfigJson.FileName), token);
        BackboneHex = Sha256Digest.OfFile(weightsPath);

        var registryPort = FreePort();
        var registry = Builder(registryPort, new() { ["MaskRegistry:DataDirectory"] = Path.Combine(_root, "registry") });
        registry.AddMaskRegistryServices();
        var registryApp = registry.Build();
        registryApp.MapDefaultEndpoints();
        registryApp.MapMaskRegistry();
        await registryApp.StartAsync(token);
        _apps.Add(registryApp);
        RegistryChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{registryPort}");
        Registry = new Api.V1.MaskRegistry.MaskRegistryClient(RegistryChannel);

        await RegisterBackboneAsync(BackboneHex, "tiny", weights.Select(w => (w.Key, w.Value.Shape)));
        var otherHex = new string('f', 64);
        await RegisterBackboneAsync(otherHex, "other", weights.Select(w => (w.Key, w.Value.Shape)));
        Published["asr/en v1"] = await PublishAsync(CtcBundle("en", seed: 1), "production");
        Published["asr/en v2"] = await PublishAsync(CtcBundle("en", seed: 2), "");
        Published["asr/fr v1"] = await PublishAsync(CtcBundle("fr", seed: 3), "production");
        Published["asr/fr v2"] = await PublishAsync(CtcBundle("fr", seed: 4), "");
        Published["speaker/und v1"] = await PublishAsync(ClassifierBundle(seed: 5), "production");
        Published["asr/de v1"] = await PublishAsync(CtcBundle("de", seed: 6, backboneHex: otherHex), "production");

        var inferencePort = FreePort();
        var inference = Builder(inferencePort, new()
        {
            ["Inference:BackboneDirectory"] = backboneDirectory,
            ["Inference:RegistryAddress"] = $"http://127.0.0.1:{registryPort}",
            ["Inference:Preload:0"] = "speaker/und",
            ["Inference:IntraOpThreads"] = "1",
        });
        inference.AddInferenceServices();
        var inferenceApp = inference.Build();
        inferenceApp.MapDefaultEndpoints();
        inferenceApp.MapInference();
        await inferenceApp.StartAsync(token);
        _apps.Add(inferenceApp);
        InferenceChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{inferencePort}");
        Speech = new Speech.SpeechClient(InferenceChannel);
        await WaitReadyAsync(token);
    }

    public async ValueTask DisposeAsync()
    {
        InferenceChannel?.Dispose();
        RegistryChannel?.Dispose();
        foreach (var app in Enumerable.Reverse(_apps))
        {
            await app.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Seeded noise as headerless LINEAR16 at 16 kHz.</summary>
    public static ByteString Linear16(int samples, int seed)
    {
        var audio = Signals.Noise(samples, seed, amplitude: 0.3);
        var bytes = new byte[samples * 2];
        for (var i = 0; i < samples; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), (short)Math.Clamp(audio[i] * 32767, short.MinValue, short.MaxValue));
        }

        return ByteString.CopyFrom(bytes);
    }

    public static RecognitionConfig Linear16Config() => new() { Encoding = Api.V1.AudioEncoding.Linear16, SampleRateHertz = 16000 };

    private static WebApplicationBuilder Builder(int grpcPort, Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration["Service:ListenAddress"] = "127.0.0.1";
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }

        builder.Logging.ClearProviders();
        builder.AddServiceDefaults(grpcPort, FreePort());
        return builder;
    }

    private async Task WaitReadyAsync(CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        var health = new Health.HealthClient(InferenceChannel);
        while (true)
        {
            var reply = await health.CheckAsync(new HealthCheckRequest { Service = "ready" }, cancellationToken: timeout.Token);
            if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
            {
                return;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    private async Task RegisterBackboneAsync(string hex, string name, IEnumerable<(string Name, long[] Shape)> tensors)
    {
        var request = new RegisterBackboneRequest { Digest = "sha256:" + hex, Name = name, ConfigJson = Wav2Vec2ConfigJson.Serialize(Config) };
        request.Tensors.AddRange(tensors.Select(t => new TensorShape { Name = t.Name, Dims = { t.Shape } }));
        await Registry.RegisterBackboneAsync(request, cancellationToken: TestContext.Current.CancellationToken);
    }

    private async Task<MaskVersion> PublishAsync(MaskBundle bundle, string alias)
    {
        var bytes = bundle.ToBytes();
        using var call = Registry.PublishMask(cancellationToken: TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new PublishMaskRequest
        {
            Metadata = new PublishMaskMetadata
            {
                Task = bundle.Task,
                LanguageCode = bundle.Language.Length == 0 ? "und" : bundle.Language,
                SetAlias = alias,
            },
        });
        await call.RequestStream.WriteAsync(new PublishMaskRequest { Chunk = ByteString.CopyFrom(bytes) });
        await call.RequestStream.CompleteAsync();
        return (await call).Version;
    }

    private MaskBundle CtcBundle(string language, int seed, string? backboneHex = null) => new()
    {
        Task = "asr",
        Language = language,
        BackboneDigest = backboneHex ?? BackboneHex,
        HeadKind = MaskHeadKind.Ctc,
        Labels = Vocabulary,
        Masks = Masks(seed),
        Heads =
        [
            new HeadTensor("head.proj.weight", [Vocabulary.Length, Config.HiddenSize], Random(seed, Vocabulary.Length * Config.HiddenSize)),
            new HeadTensor("head.proj.bias", [Vocabulary.Length], Random(seed + 100, Vocabulary.Length)),
        ],
        Lineage = new MaskLineage { JobId = $"job-{seed}", PruneRate = 0.9 },
    };

    private MaskBundle ClassifierBundle(int seed) => new()
    {
        Task = "speaker",
        Language = "",
        BackboneDigest = BackboneHex,
        HeadKind = MaskHeadKind.Classifier,
        Labels = Speakers,
        Masks = Masks(seed),
        Heads =
        [
            new HeadTensor("head.proj.weight", [Speakers.Length, Config.HiddenSize], Random(seed, Speakers.Length * Config.HiddenSize)),
            new HeadTensor("head.proj.bias", [Speakers.Length], Random(seed + 100, Speakers.Length)),
            new HeadTensor("head.attention.weight", [1, Config.HiddenSize], Random(seed + 200, Config.HiddenSize)),
            new HeadTensor("head.attention.bias", [1], [0f]),
        ],
    };

    // Random keep-90% masks over every FFN weight (fix_attn), as the training side writes them.
    private List<MaskTensor> Masks(int seed)
    {
        var random = new Random(seed);
        var masks = new List<MaskTensor>();
        for (var layer = 0; layer < Config.NumHiddenLayers; layer++)
        {
            foreach (var (dense, shape) in new[]
            {
                ("intermediate_dense", new long[] { Config.IntermediateSize, Config.HiddenSize }),
                ("output_dense", new long[] { Config.HiddenSize, Config.IntermediateSize }),
            })
            {
                var bits = Enumerable.Range(0, (int)(shape[0] * shape[1])).Select(_ => random.NextDouble() < 0.9).ToArray();
                masks.Add(MaskTensor.FromBits($"encoder.layers.{layer}.feed_forward.{dense}.weight", shape, bits));
            }
        }

        return [.. masks.OrderBy(m => m.Name, StringComparer.Ordinal)];
    }

    private static float[] Random(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
