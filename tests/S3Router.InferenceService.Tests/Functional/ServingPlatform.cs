using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using S3Router.Testing;
using S3Router.Api.V1;
using S3Router.Core.Backbones;
using S3Router.InferenceService.Extensions;
using S3Router.InferenceService.Inference.Routes;
using S3Router.MaskRegistry.Extensions;

namespace S3Router.InferenceService.Tests.Functional;

/// <summary>
/// A real MaskRegistry and the InferenceService, both on loopback Kestrel, with a tiny random backbone registered and
/// route bundles published: asr/en (v1 production, v2), asr/fr (v1 production, v2: for the hot swap), speaker/und
/// (v1 production, attentive classifier), asr/de (production bundle for another backbone).
/// </summary>
public sealed class ServingPlatform : IAsyncLifetime
{
    public static readonly IReadOnlyList<string> Vocabulary = TestBundles.Vocabulary;
    public static readonly IReadOnlyList<string> Speakers = TestBundles.Speakers;

    private readonly List<LoopbackService> _services = [];
    private readonly string _root = Directory.CreateTempSubdirectory("s3r-inference-functional-").FullName;

    public Wav2Vec2Config Config { get; } = TinyConfigs.Base;

    public string BackboneHex { get; private set; } = "";

    /// <summary>The backbone's directory (config.json + model.safetensors), the one the pod serves.</summary>
    public string BackboneDirectory { get; private set; } = "";

    public GrpcChannel RegistryChannel { get; private set; } = null!;

    public Api.V1.MaskRegistry.MaskRegistryClient Registry { get; private set; } = null!;

    public GrpcChannel InferenceChannel { get; private set; } = null!;

    public Speech.SpeechClient Speech { get; private set; } = null!;

    public Dictionary<string, MaskVersion> Published { get; } = [];

    /// <summary>The registry's address (<c>http://127.0.0.1:port</c>).</summary>
    public string RegistryAddress { get; private set; } = "";

    /// <summary>The default pod's services (speaker/und preloaded hot).</summary>
    public IServiceProvider InferenceServices { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var token = TestContext.Current.CancellationToken;
        var backbone = await TinyBackbone.WriteAsync(Path.Combine(_root, "backbone"), Config, seed: 11, token);
        var backboneDirectory = backbone.Directory;
        BackboneHex = backbone.Hex;
        BackboneDirectory = backboneDirectory;

        var registry = await LoopbackService.StartAsync(
            new Dictionary<string, string?> { ["MaskRegistry:DataDirectory"] = Path.Combine(_root, "registry") },
            builder => builder.AddMaskRegistryServices(), app => app.MapMaskRegistry(), token);
        _services.Add(registry);
        RegistryAddress = registry.Address;
        RegistryChannel = registry.Channel;
        Registry = new Api.V1.MaskRegistry.MaskRegistryClient(RegistryChannel);

        await Registry.RegisterBackboneAsync(BackboneHex, "tiny", Config, backbone.Shapes, token);
        var otherHex = new string('f', 64);
        await Registry.RegisterBackboneAsync(otherHex, "other", Config, backbone.Shapes, token);
        Published["asr/en v1"] = await Registry.PublishAsync(TestBundles.Ctc(Config, BackboneHex, "en", seed: 1), "production", token);
        Published["asr/en v2"] = await Registry.PublishAsync(TestBundles.Ctc(Config, BackboneHex, "en", seed: 2), "", token);
        Published["asr/fr v1"] = await Registry.PublishAsync(TestBundles.Ctc(Config, BackboneHex, "fr", seed: 3), "production", token);
        Published["asr/fr v2"] = await Registry.PublishAsync(TestBundles.Ctc(Config, BackboneHex, "fr", seed: 4), "", token);
        Published["speaker/und v1"] = await Registry.PublishAsync(TestBundles.SpeakerClassifier(Config, BackboneHex, seed: 5), "production", token);
        Published["asr/de v1"] = await Registry.PublishAsync(TestBundles.Ctc(Config, otherHex, "de", seed: 6), "production", token);

        var pod = await StartInferenceAsync(new() { ["Inference:Preload:0"] = "speaker/und" }, token);
        InferenceChannel = pod.Channel;
        Speech = pod.Speech;
        InferenceServices = pod.Services;
    }

    /// <summary>
    /// Starts one more inference pod on this registry and backbone (one intra-op thread) with <paramref name="settings"/>
    /// on top (<c>Inference:...</c> keys), and waits until it is ready. It stops with the platform.
    /// </summary>
    public async Task<InferencePod> StartInferenceAsync(Dictionary<string, string?> settings, CancellationToken token)
    {
        var pod = await LoopbackService.StartAsync(
            new Dictionary<string, string?>(settings)
            {
                ["Inference:BackboneDirectory"] = BackboneDirectory,
                ["Inference:RegistryAddress"] = RegistryAddress,
                ["Inference:IntraOpThreads"] = "1",
            },
            builder => builder.AddInferenceServices(), app => app.MapInference(), token);
        _services.Add(pod);
        var channel = pod.Channel;
        await WaitReadyAsync(channel, token);
        return new InferencePod(channel, new Speech.SpeechClient(channel), pod.Services);
    }

    /// <summary>As <see cref="StartInferenceAsync"/>, then waits until the pod has loaded its preload lists.</summary>
    public async Task<InferencePod> StartPreloadedInferenceAsync(Dictionary<string, string?> settings, CancellationToken token)
    {
        var pod = await StartInferenceAsync(settings, token);
        await pod.Services.GetServices<IHostedService>().OfType<BackboneLoader>().Single().Preloaded.WaitAsync(token);
        return pod;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in Enumerable.Reverse(_services))
        {
            await service.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Seeded noise as headerless LINEAR16 at 16 kHz.</summary>
    public static ByteString Linear16(int samples, int seed) => ByteString.CopyFrom(Signals.Linear16Noise(samples, seed));

    public static RecognitionConfig Linear16Config() => new() { Encoding = Api.V1.AudioEncoding.Linear16, SampleRateHertz = 16000 };

    private static async Task WaitReadyAsync(GrpcChannel channel, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        var health = new Health.HealthClient(channel);
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
}
