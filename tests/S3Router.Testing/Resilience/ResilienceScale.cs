namespace S3Router.Testing.Resilience;

/// <summary>How long and how hard a resilience scenario runs: its steady rate and the length of each phase.</summary>
public sealed record ResilienceScale
{
    /// <summary>Calls per second of the steady load over 3 pods (the 1-pod registry scenario offers half). Default: 20.</summary>
    public double Rate { get; init; } = 20;

    /// <summary>16 kHz samples of audio per call of the steady load. Default: 4000 (0.25 s).</summary>
    public int AudioSamples { get; init; } = 4000;

    /// <summary>The steady load in words, e.g. "20 rps, 0.25 s audio".</summary>
    public string Describe(double rate) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{rate:0} rps, {AudioSamples / 16000.0:0.##} s audio");

    /// <summary>Steady load before the fault. Default: 4 s.</summary>
    public TimeSpan Before { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Load while the fault lasts. Default: 5 s.</summary>
    public TimeSpan During { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Load after recovery. Default: 5 s.</summary>
    public TimeSpan After { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The scale of the test suite: a few seconds per phase, 10 rps (the test machine is shared and small).</summary>
    public static ResilienceScale Test { get; } = new() { Rate = 10 };

    /// <summary>The bench's scale: 20 s per phase.</summary>
    public static ResilienceScale Bench { get; } = new()
    {
        Before = TimeSpan.FromSeconds(20),
        During = TimeSpan.FromSeconds(20),
        After = TimeSpan.FromSeconds(20),
    };
}
