namespace S3Router.Testing.Resilience;

/// <summary>How long and how hard a resilience scenario runs: its steady rate and the length of each phase.</summary>
public sealed record ResilienceScale
{
    /// <summary>Calls per second of the steady load (0.5 s of audio each). Default: 30.</summary>
    public double Rate { get; init; } = 30;

    /// <summary>Steady load before the fault. Default: 4 s.</summary>
    public TimeSpan Before { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Load while the fault lasts. Default: 5 s.</summary>
    public TimeSpan During { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Load after recovery. Default: 5 s.</summary>
    public TimeSpan After { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The scale of the test suite: a few seconds per phase.</summary>
    public static ResilienceScale Test { get; } = new();

    /// <summary>The bench's scale: 20 s per phase.</summary>
    public static ResilienceScale Bench { get; } = new()
    {
        Before = TimeSpan.FromSeconds(20),
        During = TimeSpan.FromSeconds(20),
        After = TimeSpan.FromSeconds(20),
    };
}
