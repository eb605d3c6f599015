namespace S3Router.Core.Audio;

/// <summary>
/// Bounds on request audio, checked by <see cref="AudioDecoder"/> and <see cref="WavReader"/> before any large
/// allocation. The defaults fit a unary recognize call; streaming callers pass their own.
/// </summary>
public sealed record AudioLimits
{
    /// <summary>The defaults below: 10 MiB, 60 s, 8 kHz to 192 kHz.</summary>
    public static AudioLimits Default { get; } = new();

    /// <summary>Largest accepted content, in bytes (the whole WAV file, header included). Default: 10 MiB (10,485,760).</summary>
    public long MaxBytes { get; init; } = 10L * 1024 * 1024;

    /// <summary>Longest accepted audio, measured at the source sample rate. Default: 60 s.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Lowest accepted source sample rate, in Hz. Default: 8000.</summary>
    public int MinSampleRateHertz { get; init; } = 8_000;

    /// <summary>Highest accepted source sample rate, in Hz. Default: 192000.</summary>
    public int MaxSampleRateHertz { get; init; } = 192_000;
}
