using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using S3Router.Api.V1;
using S3Router.Testing;

namespace S3Router.EndToEnd.Tests;

/// <summary>
/// MaskRegistry, InferenceService and Gateway as three separate processes on free loopback ports, with a tiny random
/// backbone registered and two routes published through the registry's gRPC API: asr/en (CTC over
/// <see cref="TestBundles.Vocabulary"/>) and speaker/und (classifier over <see cref="TestBundles.Speakers"/>), both v1 on
/// <c>production</c>. Every process is killed on dispose, also when start-up failed half way.
/// </summary>
public class ProcessPlatform : IAsyncLifetime
{
    /// <summary>Largest inline audio the gateway and the inference service accept, in bytes (kept small for the storm).</summary>
    public const int MaxAudioBytes = 256 * 1024;

    /// <summary>Largest gRPC message the gateway receives, in bytes; larger ones fail with RESOURCE_EXHAUSTED.</summary>
    public const int MaxReceiveMessageBytes = 512 * 1024;

    private readonly List<ServiceProcess> _processes = [];
    private readonly List<int> _grpcPorts = [];
    private readonly TempDirectory _root = new();

    public int GatewayPort { get; } = LoopbackPort.Free();

    public string GatewayAddress => $"http://127.0.0.1:{GatewayPort}";

    public GrpcChannel GatewayChannel { get; private set; } = null!;

    public Speech.SpeechClient Speech { get; private set; } = null!;

    public Dictionary<string, MaskVersion> Published { get; } = [];

    /// <summary>Extra inference settings (environment variables) of a derived platform.</summary>
    protected virtual IReadOnlyDictionary<string, string> InferenceSettings => new Dictionary<string, string>();

    public async ValueTask InitializeAsync()
    {
        try
        {
            await StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        GatewayChannel?.Dispose();
        foreach (var process in Enumerable.Reverse(_processes))
        {
            process.Dispose();
        }

        _processes.Clear();
        _root.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Throws with the output of every process that is no longer running.</summary>
    public void AssertAllAlive()
    {
        var dead = _processes.Where(p => p.HasExited).ToList();
        Assert.True(dead.Count == 0, string.Join("\n\n", dead.Select(p => $"{p.Name} exited:\n{p.Output}")));
    }

    /// <summary>Asks every process's health service for "ready" and asserts each answers SERVING.</summary>
    public async Task AssertAllHealthyAsync(CancellationToken cancellationToken)
    {
        AssertAllAlive();
        foreach (var port in _grpcPorts)
        {
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            var reply = await new Health.HealthClient(channel).CheckAsync(
                new HealthCheckRequest { Service = "ready" }, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        }
    }

    private async Task StartAsync(CancellationToken token)
    {
        var backbone = await TinyBackbone.WriteAsync(_root.Combine("backbone"), TinyConfigs.Base, seed: 11, token);

        var registryPort = LoopbackPort.Free();
        Start("MaskRegistry", registryPort, new() { ["MaskRegistry__DataDirectory"] = _root.Combine("registry") });
        using (var registryChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{registryPort}"))
        {
            await WaitReadyAsync(registryChannel, _processes[^1], token);
            var registry = new MaskRegistry.MaskRegistryClient(registryChannel);
            await registry.RegisterBackboneAsync(backbone.Hex, "tiny", backbone.Config, backbone.Shapes, token);
            Published["asr/en"] = await registry.PublishAsync(TestBundles.Ctc(backbone.Config, backbone.Hex, "en", seed: 1), "production", token);
            Published["speaker/und"] = await registry.PublishAsync(TestBundles.SpeakerClassifier(backbone.Config, backbone.Hex, seed: 5), "production", token);
        }

        var inferencePort = LoopbackPort.Free();
        var inference = new Dictionary<string, string>
        {
            ["Inference__BackboneDirectory"] = backbone.Directory,
            ["Inference__RegistryAddress"] = $"http://127.0.0.1:{registryPort}",
            ["Inference__IntraOpThreads"] = "1",
            ["Inference__MaxAudioBytes"] = MaxAudioBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Inference__Preload__0"] = "asr/en",
            ["Inference__Preload__1"] = "speaker/und",
        };
        foreach (var (key, value) in InferenceSettings)
        {
            inference[key] = value;
        }

        Start("InferenceService", inferencePort, inference);
        Start("Gateway", GatewayPort, new()
        {
            ["Gateway__Endpoints__0"] = $"http://127.0.0.1:{inferencePort}",
            ["Gateway__MaxAudioBytes"] = MaxAudioBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Service__MaxReceiveMessageBytes"] = MaxReceiveMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        using (var inferenceChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{inferencePort}"))
        {
            await WaitReadyAsync(inferenceChannel, _processes[^2], token);
        }

        GatewayChannel = GrpcChannel.ForAddress(GatewayAddress);
        Speech = new Speech.SpeechClient(GatewayChannel);
        await WaitReadyAsync(GatewayChannel, _processes[^1], token);
    }

    private void Start(string project, int grpcPort, Dictionary<string, string> settings)
    {
        settings["Service__GrpcPort"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Service__MetricsPort"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Service__ListenAddress"] = "127.0.0.1";
        _processes.Add(ServiceProcess.Start(project, settings));
        _grpcPorts.Add(grpcPort);
    }

    // Polls grpc.health.v1 "ready" until SERVING; connection refusals while the process starts are expected.
    private static async Task WaitReadyAsync(GrpcChannel channel, ServiceProcess process, CancellationToken token)
    {
        var health = new Health.HealthClient(channel);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited during start-up:\n{process.Output}");
            }

            try
            {
                var reply = await health.CheckAsync(
                    new HealthCheckRequest { Service = "ready" }, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: token);
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{process.Name} was not ready after 2 minutes:\n{process.Output}");
            }

            await Task.Delay(100, token);
        }
    }
}
