namespace S3Router.Testing.Load;

/// <summary>
/// What a <see cref="LoadGenerator"/> offers: either a fixed <see cref="Rate"/> (open loop: calls start on schedule
/// whatever the answers) or a fixed <see cref="Concurrency"/> (closed loop: each worker starts its next call when the
/// last ended), for <see cref="Duration"/>.
/// </summary>
public sealed record LoadProfile
{
    /// <summary>Calls started per second (open loop). Default: none.</summary>
    public double? Rate { get; init; }

    /// <summary>Calls kept in flight (closed loop). Default: none.</summary>
    public int? Concurrency { get; init; }

    /// <summary>How long calls are started. Default: 10 s.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Open loop only: calls in flight at most; a call due while this many are running is not sent and counted as
    /// <see cref="LoadReport.Skipped"/>, so a stalled server cannot make the generator pile up work. Default: 256.
    /// </summary>
    public int MaxInFlight { get; init; } = 256;

    /// <summary>The deadline given to each call. Default: 30 s.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Offers <paramref name="perSecond"/> calls a second for <paramref name="duration"/>.</summary>
    public static LoadProfile FixedRate(double perSecond, TimeSpan duration) => new() { Rate = perSecond, Duration = duration };

    /// <summary>Keeps <paramref name="inFlight"/> calls running for <paramref name="duration"/>.</summary>
    public static LoadProfile FixedConcurrency(int inFlight, TimeSpan duration) => new() { Concurrency = inFlight, Duration = duration };
}
