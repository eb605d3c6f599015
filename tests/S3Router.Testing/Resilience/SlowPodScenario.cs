using System.Globalization;
using S3Router.Testing.Load;
using S3Router.Testing.Processes;

namespace S3Router.Testing.Resilience;

/// <summary>
/// Slow pod: 3 inference processes, each behind a <see cref="DelayProxy"/> (no delay at first), the gateway hedging
/// unary calls after 100 ms. Under steady load the proxy of the route's owner starts adding <see cref="Delay"/> in
/// each direction, then stops again. Counts of completed asr runs are read from each process's /metrics.
/// </summary>
public static class SlowPodScenario
{
    /// <summary>Delay the slow pod's proxy adds per direction.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(300);

    /// <summary>Hedging on, the hedge sent after 100 ms.</summary>
    public static readonly IReadOnlyDictionary<string, string> GatewaySettings = new Dictionary<string, string>
    {
        ["Gateway__HedgingEnabled"] = "true",
        ["Gateway__HedgingDelay"] = "00:00:00.100",
    };

    /// <summary>What one run saw.</summary>
    /// <param name="Load">The calls and phases.</param>
    /// <param name="Slow">Index of the slowed process.</param>
    /// <param name="AtSlow">Completed asr runs per process when the delay began.</param>
    /// <param name="AtFast">Completed asr runs per process when it ended.</param>
    /// <param name="Hedges">Hedged Recognize calls the gateway sent.</param>
    public sealed record Result(ScenarioResult Load, int Slow, double[] AtSlow, double[] AtFast, double Hedges)
    {
        /// <summary>asr runs the fast processes completed while the delay lasted.</summary>
        public double FastRunsDuring => Enumerable.Range(0, AtSlow.Length).Where(i => i != Slow).Sum(i => AtFast[i] - AtSlow[i]);

        /// <summary>asr runs the slow process completed while the delay lasted (hedged-out ones included).</summary>
        public double SlowRunsDuring => AtFast[Slow] - AtSlow[Slow];
    }

    public static async Task<Result> RunAsync(ResilienceScale scale, Action<string> log, CancellationToken cancellationToken)
    {
        await using var platform = await ServicePlatform.StartAsync(new PlatformOptions
        {
            InferenceCount = 3,
            ProxyDelays = new Dictionary<int, TimeSpan> { [0] = TimeSpan.Zero, [1] = TimeSpan.Zero, [2] = TimeSpan.Zero },
            Gateway = GatewaySettings,
        }, cancellationToken);
        await platform.WarmUpAsync(cancellationToken);

        var load = GatewayLoad.Start(platform, LoadProfile.FixedRate(scale.Rate, TimeSpan.Zero), scale.AudioSamples, cancellationToken);
        await load.UntilAsync(scale.Before, cancellationToken);
        var atSlow = await platform.InferenceAsrCountsAsync(cancellationToken);
        var slow = Array.IndexOf(atSlow, atSlow.Max());
        platform.Proxies[slow].Delay = Delay;
        var faultAt = load.Elapsed;
        log($"proxy of inference {slow} delays {Delay.TotalMilliseconds} ms per direction from {faultAt.TotalSeconds:0.0} s");

        await load.UntilAsync(faultAt + scale.During, cancellationToken);
        var atFast = await platform.InferenceAsrCountsAsync(cancellationToken);
        platform.Proxies[slow].Delay = TimeSpan.Zero;
        var recoveredAt = load.Elapsed;

        await load.UntilAsync(recoveredAt + scale.After, cancellationToken);
        var report = await load.StopAsync();
        var hedges = PrometheusText.Sum(await platform.Gateway.ScrapeMetricsAsync(cancellationToken), "s3router_gateway_hedges_total", "method=\"Recognize\"");

        var result = new ScenarioResult(
            "slow pod", $"{scale.Describe(scale.Rate)}, 3 pods, hedge after 100 ms",
            $"+{Delay.TotalMilliseconds:0} ms each way on the owner pod's link", report, faultAt, recoveredAt);
        var outcome = new Result(result, slow, atSlow, atFast, hedges);
        result.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"while slow: fast pods ran {outcome.FastRunsDuring:0} asr calls, the slow pod {outcome.SlowRunsDuring:0}; {hedges:0} hedges sent in all"));
        return outcome;
    }
}
