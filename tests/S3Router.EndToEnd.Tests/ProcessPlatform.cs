using Grpc.Net.Client;
using S3Router.Api.V1;
using S3Router.Testing.Processes;

namespace S3Router.EndToEnd.Tests;

/// <summary>
/// A <see cref="ServicePlatform"/> with one inference process as an xunit fixture: MaskRegistry, InferenceService and
/// Gateway as three separate processes on free loopback ports, asr/en and speaker/und v1 on <c>production</c>.
/// </summary>
public class ProcessPlatform : IAsyncLifetime
{
    /// <summary>Largest inline audio the gateway and the inference service accept, in bytes (kept small for the storm).</summary>
    public const int MaxAudioBytes = 256 * 1024;

    /// <summary>Largest gRPC message the gateway receives, in bytes; larger ones fail with RESOURCE_EXHAUSTED.</summary>
    public const int MaxReceiveMessageBytes = 512 * 1024;

    private ServicePlatform _platform = null!;

    public int GatewayPort => _platform.Gateway.GrpcPort;

    public string GatewayAddress => _platform.Gateway.Address;

    public GrpcChannel GatewayChannel => _platform.GatewayChannel;

    public Speech.SpeechClient Speech => _platform.Speech;

    public Dictionary<string, MaskVersion> Published => _platform.Published;

    /// <summary>Extra inference settings (environment variables) of a derived platform.</summary>
    protected virtual IReadOnlyDictionary<string, string> InferenceSettings => new Dictionary<string, string>();

    public async ValueTask InitializeAsync() =>
        _platform = await ServicePlatform.StartAsync(new PlatformOptions
        {
            Inference = InferenceSettings,
            MaxAudioBytes = MaxAudioBytes,
            MaxReceiveMessageBytes = MaxReceiveMessageBytes,
        }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_platform is not null)
        {
            await _platform.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Throws with the output of every process that is no longer running.</summary>
    public void AssertAllAlive() => _platform.AssertAllAlive();

    /// <summary>Asks every process's health service for "ready" and asserts each answers SERVING.</summary>
    public Task AssertAllHealthyAsync(CancellationToken cancellationToken) => _platform.AssertAllHealthyAsync(cancellationToken);
}
