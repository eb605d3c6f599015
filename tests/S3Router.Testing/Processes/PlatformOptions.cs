namespace S3Router.Testing.Processes;

/// <summary>How a <see cref="ServicePlatform"/> is laid out and configured (settings are environment variables).</summary>
public sealed record PlatformOptions
{
    /// <summary>Inference processes behind the gateway. Default: 1.</summary>
    public int InferenceCount { get; init; } = 1;

    /// <summary>
    /// Inference processes (by index) the gateway reaches through a <see cref="DelayProxy"/>, with its initial delay
    /// per direction. Default: none.
    /// </summary>
    public IReadOnlyDictionary<int, TimeSpan> ProxyDelays { get; init; } = new Dictionary<int, TimeSpan>();

    /// <summary>Extra MaskRegistry settings, e.g. API keys. Default: none.</summary>
    public IReadOnlyDictionary<string, string> Registry { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra settings of every inference process, on top of the platform's. Default: none.</summary>
    public IReadOnlyDictionary<string, string> Inference { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra gateway settings, on top of the platform's. Default: none.</summary>
    public IReadOnlyDictionary<string, string> Gateway { get; init; } = new Dictionary<string, string>();

    /// <summary>Key sent to the registry while seeding it (needs the admin role when keys are configured). Default: none.</summary>
    public string? RegistryAdminKey { get; init; }

    /// <summary>Key the platform's <see cref="ServicePlatform.Speech"/> client sends to the gateway. Default: none.</summary>
    public string? GatewayKey { get; init; }

    /// <summary>Largest inline audio the gateway and the inference processes accept, in bytes. Default: 256 KiB.</summary>
    public int MaxAudioBytes { get; init; } = 256 * 1024;

    /// <summary>Largest gRPC message the gateway receives, in bytes. Default: 512 KiB.</summary>
    public int MaxReceiveMessageBytes { get; init; } = 512 * 1024;
}
