using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using S3Router.Api.V1;

namespace S3Router.Testing.Processes;

/// <summary>
/// MaskRegistry, N InferenceService processes and a Gateway as separate processes on free loopback ports, with a tiny
/// random backbone registered and two routes published through the registry's gRPC API: asr/en (CTC over
/// <see cref="TestBundles.Vocabulary"/>) and speaker/und (classifier over <see cref="TestBundles.Speakers"/>), both v1 on
/// <c>production</c>. The gateway knows the inference processes by a static list (through a <see cref="DelayProxy"/>
/// where asked). Every process is killed on dispose, also when start-up failed half way.
/// </summary>
public sealed class ServicePlatform : IAsyncDisposable
{
    private readonly List<ServiceProcess> _inference = [];
    private readonly Dictionary<int, DelayProxy> _proxies = [];
    private readonly PlatformOptions _options;

    private ServicePlatform(PlatformOptions options) => _options = options;

    /// <summary>The platform's scratch folder (backbone, registry data).</summary>
    public TempDirectory Root { get; } = new();

    public TinyBackbone Backbone { get; private set; } = null!;

    public ServiceProcess Registry { get; private set; } = null!;

    /// <summary>The inference processes, in the order of <see cref="PlatformOptions.InferenceCount"/>.</summary>
    public IReadOnlyList<ServiceProcess> Inference => _inference;

    /// <summary>The delay proxies by inference index.</summary>
    public IReadOnlyDictionary<int, DelayProxy> Proxies => _proxies;

    public ServiceProcess Gateway { get; private set; } = null!;

    public GrpcChannel GatewayChannel { get; private set; } = null!;

    /// <summary>A Speech client of the gateway that sends <see cref="PlatformOptions.GatewayKey"/> when set.</summary>
    public Speech.SpeechClient Speech { get; private set; } = null!;

    /// <summary>The versions published while seeding, by route (<c>asr/en</c>, <c>speaker/und</c>).</summary>
    public Dictionary<string, MaskVersion> Published { get; } = [];

    /// <summary>Every process, registry first.</summary>
    public IEnumerable<ServiceProcess> Processes => [Registry, .. _inference, Gateway];

    /// <summary>Starts the platform and waits until every process is ready.</summary>
    public static async Task<ServicePlatform> StartAsync(PlatformOptions options, CancellationToken cancellationToken)
    {
        var platform = new ServicePlatform(options);
        try
        {
            await platform.StartAsync(cancellationToken);
            return platform;
        }
        catch
        {
            await platform.DisposeAsync();
            throw;
        }
    }

    /// <summary>A registry client that sends <paramref name="apiKey"/> (none when null); dispose the channel.</summary>
    public (GrpcChannel Channel, MaskRegistry.MaskRegistryClient Client) RegistryClient(string? apiKey)
    {
        var channel = GrpcChannel.ForAddress(Registry.Address);
        return (channel, new MaskRegistry.MaskRegistryClient(WithKey(channel, apiKey)));
    }

    /// <summary>A 16 kHz LINEAR16 asr/en request of seeded noise, <paramref name="samples"/> long.</summary>
    public static RecognizeRequest AsrRequest(int samples, int seed) => new()
    {
        Task = "asr",
        LanguageCode = "en",
        Config = new RecognitionConfig { Encoding = AudioEncoding.Linear16, SampleRateHertz = 16000 },
        Audio = new RecognitionAudio { Content = ByteString.CopyFrom(Signals.Linear16Noise(samples, seed)) },
    };

    /// <summary>
    /// The inference processes' completed asr runs (<c>s3router_inference_requests_total{task="asr",status="ok"}</c>),
    /// by index; -1 for a process that does not answer.
    /// </summary>
    public async Task<double[]> InferenceAsrCountsAsync(CancellationToken cancellationToken)
    {
        var counts = new double[_inference.Count];
        for (var i = 0; i < counts.Length; i++)
        {
            try
            {
                var text = await _inference[i].ScrapeMetricsAsync(cancellationToken);
                counts[i] = PrometheusText.Sum(text, "s3router_inference_requests_total", "task=\"asr\"", "status=\"ok\"");
            }
            catch (HttpRequestException)
            {
                counts[i] = -1;
            }
        }

        return counts;
    }

    /// <summary>
    /// A few sequential asr/en calls to every inference process directly, then through the gateway, so that first-call
    /// costs (JIT, session warm-up, connections) stay out of measured load.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var request = AsrRequest(4000, seed: 123);
        foreach (var inference in _inference)
        {
            using var channel = GrpcChannel.ForAddress(inference.Address);
            var direct = new Speech.SpeechClient(channel);
            for (var i = 0; i < 3; i++)
            {
                await direct.RecognizeAsync(request, deadline: DateTime.UtcNow.AddMinutes(1), cancellationToken: cancellationToken);
            }
        }

        for (var i = 0; i < 5; i++)
        {
            await Speech.RecognizeAsync(request, deadline: DateTime.UtcNow.AddMinutes(1), cancellationToken: cancellationToken);
        }
    }

    /// <summary>Names of the processes that are no longer running, with their output; empty when all run.</summary>
    public string DeadProcesses() =>
        string.Join("\n\n", Processes.Where(p => p is not null && p.HasExited).Select(p => $"{p.Name} exited:\n{p.Output}"));

    public async ValueTask DisposeAsync()
    {
        GatewayChannel?.Dispose();
        Gateway?.Dispose();
        foreach (var process in _inference)
        {
            process.Dispose();
        }

        foreach (var proxy in _proxies.Values)
        {
            await proxy.DisposeAsync();
        }

        Registry?.Dispose();
        Root.Dispose();
    }

    private static CallInvoker WithKey(GrpcChannel channel, string? apiKey) =>
        apiKey is null
            ? channel.CreateCallInvoker()
            : channel.Intercept(metadata =>
            {
                metadata.Add("x-api-key", apiKey);
                return metadata;
            });

    private async Task StartAsync(CancellationToken token)
    {
        Backbone = await TinyBackbone.WriteAsync(Root.Combine("backbone"), TinyConfigs.Base, seed: 11, token);

        Registry = ServiceProcess.Start("MaskRegistry", new Dictionary<string, string>(_options.Registry)
        {
            ["MaskRegistry__DataDirectory"] = Root.Combine("registry"),
        });
        await Registry.WaitReadyAsync(token);
        var (registryChannel, registry) = RegistryClient(_options.RegistryAdminKey);
        using (registryChannel)
        {
            await registry.RegisterBackboneAsync(Backbone.Hex, "tiny", Backbone.Config, Backbone.Shapes, token);
            Published["asr/en"] = await registry.PublishAsync(TestBundles.Ctc(Backbone.Config, Backbone.Hex, "en", seed: 1), "production", token);
            Published["speaker/und"] = await registry.PublishAsync(TestBundles.SpeakerClassifier(Backbone.Config, Backbone.Hex, seed: 5), "production", token);
        }

        var maxAudio = _options.MaxAudioBytes.ToString(CultureInfo.InvariantCulture);
        var endpoints = new List<string>();
        for (var i = 0; i < _options.InferenceCount; i++)
        {
            var settings = new Dictionary<string, string>
            {
                ["Inference__BackboneDirectory"] = Backbone.Directory,
                ["Inference__RegistryAddress"] = Registry.Address,
                ["Inference__IntraOpThreads"] = "1",
                ["Inference__MaxAudioBytes"] = maxAudio,
                ["Inference__Preload__0"] = "asr/en",
                ["Inference__Preload__1"] = "speaker/und",
            };
            foreach (var (key, value) in _options.Inference)
            {
                settings[key] = value;
            }

            var inference = ServiceProcess.Start("InferenceService", settings);
            _inference.Add(inference);
            if (_options.ProxyDelays.TryGetValue(i, out var delay))
            {
                var proxy = new DelayProxy(inference.GrpcPort, delay);
                _proxies[i] = proxy;
                endpoints.Add(proxy.Address);
            }
            else
            {
                endpoints.Add(inference.Address);
            }
        }

        var gateway = new Dictionary<string, string>
        {
            ["Gateway__MaxAudioBytes"] = maxAudio,
            ["Service__MaxReceiveMessageBytes"] = _options.MaxReceiveMessageBytes.ToString(CultureInfo.InvariantCulture),
        };
        for (var i = 0; i < endpoints.Count; i++)
        {
            gateway[$"Gateway__Endpoints__{i}"] = endpoints[i];
        }

        foreach (var (key, value) in _options.Gateway)
        {
            gateway[key] = value;
        }

        Gateway = ServiceProcess.Start("Gateway", gateway);
        foreach (var inference in _inference)
        {
            await inference.WaitReadyAsync(token);
        }

        GatewayChannel = GrpcChannel.ForAddress(Gateway.Address);
        Speech = new Speech.SpeechClient(WithKey(GatewayChannel, _options.GatewayKey));
        await Gateway.WaitReadyAsync(token);
    }
}
