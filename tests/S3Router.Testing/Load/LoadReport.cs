using System.Globalization;
using Grpc.Core;

namespace S3Router.Testing.Load;

/// <summary>Every call of a load run (or of a time window of it): counts per status and latency percentiles.</summary>
public sealed class LoadReport
{
    private readonly CallSample[] _sortedLatencies;

    /// <summary>Builds a report over <paramref name="samples"/>, which covered <paramref name="duration"/>.</summary>
    public LoadReport(IEnumerable<CallSample> samples, TimeSpan duration, int skipped = 0, IReadOnlyList<string>? failures = null)
    {
        Samples = [.. samples.OrderBy(s => s.Start)];
        _sortedLatencies = [.. Samples.OrderBy(s => s.Latency)];
        Duration = duration;
        Skipped = skipped;
        Failures = failures ?? [];
    }

    /// <summary>The calls, in start order.</summary>
    public IReadOnlyList<CallSample> Samples { get; }

    /// <summary>The time the calls were started over.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Calls due but not sent because <see cref="LoadProfile.MaxInFlight"/> calls were already running.</summary>
    public int Skipped { get; }

    /// <summary>Messages of the first few calls that failed with something other than an RpcException.</summary>
    public IReadOnlyList<string> Failures { get; }

    public int Count => Samples.Count;

    public int Ok => CountOf(StatusCode.OK);

    /// <summary>Calls that ended with any status but OK.</summary>
    public int NotOk => Count - Ok;

    /// <summary>Calls per final status, most frequent first.</summary>
    public IReadOnlyList<KeyValuePair<StatusCode, int>> Counts =>
        [.. Samples.GroupBy(s => s.Status).Select(g => KeyValuePair.Create(g.Key, g.Count())).OrderByDescending(p => p.Value)];

    /// <summary>OK calls per second of <see cref="Duration"/>.</summary>
    public double OkPerSecond => Duration > TimeSpan.Zero ? Ok / Duration.TotalSeconds : 0;

    public TimeSpan Max => Count == 0 ? TimeSpan.Zero : _sortedLatencies[^1].Latency;

    public int CountOf(StatusCode status) => Samples.Count(s => s.Status == status);

    /// <summary>The latency below which <paramref name="quantile"/> (0 to 1) of all calls ended (nearest rank); zero when empty.</summary>
    public TimeSpan Percentile(double quantile)
    {
        if (Count == 0)
        {
            return TimeSpan.Zero;
        }

        var rank = (int)Math.Ceiling(Math.Clamp(quantile, 0, 1) * Count);
        return _sortedLatencies[Math.Max(rank, 1) - 1].Latency;
    }

    /// <summary>The calls started in [<paramref name="from"/>, <paramref name="to"/>) of the run.</summary>
    public LoadReport Window(TimeSpan from, TimeSpan to) =>
        new(Samples.Where(s => s.Start >= from && s.Start < to), to - from);

    /// <summary>This run followed by <paramref name="next"/>, whose calls are shifted by this run's duration.</summary>
    public LoadReport Then(LoadReport next) => new(
        Samples.Concat(next.Samples.Select(s => s with { Start = s.Start + Duration })),
        Duration + next.Duration,
        Skipped + next.Skipped,
        [.. Failures, .. next.Failures]);

    /// <summary>One line: calls, statuses, p50/p90/p99/max in ms.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Count} calls in {Duration.TotalSeconds:0.#} s ({string.Join(", ", Counts.Select(c => $"{c.Key} {c.Value}"))}"
        + $"{(Skipped > 0 ? $", skipped {Skipped}" : "")}), p50 {Ms(Percentile(0.5))} p90 {Ms(Percentile(0.9))} p99 {Ms(Percentile(0.99))} max {Ms(Max)} ms");

    /// <summary>Milliseconds with no decimals.</summary>
    public static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
}
