using System.Globalization;
using S3Router.Testing.Load;
using S3Router.Testing.Processes;

namespace S3Router.Testing.Resilience;

/// <summary>
/// Pod loss: a gateway with a static list of 3 inference processes under a steady load of asr/en calls; the process
/// serving most of them (the route's owner on the hash ring) is killed with SIGKILL, later started again on the same
/// port. Counts of completed asr runs are read from each inference process's /metrics at every phase boundary.
/// </summary>
public static class PodLossScenario
{
    private static readonly TimeSpan CircuitPollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>The gateway's circuit settings here: quick to open, 2 s before a probe, so the restarted pod rejoins soon.</summary>
    public static readonly IReadOnlyDictionary<string, string> GatewaySettings = new Dictionary<string, string>
    {
        ["Gateway__CircuitBreakDuration"] = "00:00:02",
        ["Gateway__CircuitMinimumThroughput"] = "2",
    };

    /// <summary>What one run saw.</summary>
    /// <param name="Load">The calls and phases.</param>
    /// <param name="Victim">Index of the killed process.</param>
    /// <param name="Before">Completed asr runs per process when the victim was killed.</param>
    /// <param name="DuringFault">Completed asr runs per process just before the restart (-1: not answering).</param>
    /// <param name="AfterRestart">Completed asr runs per process at the end (the victim's counter restarted from 0).</param>
    /// <param name="CircuitDuringFault">The highest circuit gauge of the victim polled while it was down: 0 closed, 1 half-open, 2 open.</param>
    /// <param name="CircuitAfter">The same gauge at the end.</param>
    /// <param name="Retries">Recognize retries the gateway counted.</param>
    public sealed record Result(
        ScenarioResult Load, int Victim, double[] Before, double[] DuringFault, double[] AfterRestart,
        double CircuitDuringFault, double CircuitAfter, double Retries);

    public static async Task<Result> RunAsync(ResilienceScale scale, Action<string> log, CancellationToken cancellationToken)
    {
        await using var platform = await ServicePlatform.StartAsync(
            new PlatformOptions { InferenceCount = 3, Gateway = GatewaySettings }, cancellationToken);
        await platform.WarmUpAsync(cancellationToken);
        log($"platform up: inference on {string.Join(", ", platform.Inference.Select(p => p.GrpcPort))}");

        var load = GatewayLoad.Start(platform, LoadProfile.FixedRate(scale.Rate, TimeSpan.Zero), scale.AudioSamples, cancellationToken);
        await load.UntilAsync(scale.Before, cancellationToken);
        var before = await platform.InferenceAsrCountsAsync(cancellationToken);
        var victim = Array.IndexOf(before, before.Max());
        var victimProcess = platform.Inference[victim];
        var faultAt = load.Elapsed;
        victimProcess.Kill();
        log($"killed inference {victim} (port {victimProcess.GrpcPort}) at {faultAt.TotalSeconds:0.0} s; counts {Show(before)}");

        // The circuit cycles open -> half-open (after the break) -> open while the pod is down; polling and keeping the
        // highest state sees it open even on a loaded machine where one sample may land between transitions.
        var endpointLabel = $"endpoint=\"{victimProcess.Address}\"";
        var circuitDuringFault = 0.0;
        do
        {
            await load.UntilAsync(TimeSpan.FromTicks(Math.Min((load.Elapsed + CircuitPollInterval).Ticks, (faultAt + scale.During).Ticks)), cancellationToken);
            var faultMetrics = await platform.Gateway.ScrapeMetricsAsync(cancellationToken);
            circuitDuringFault = Math.Max(circuitDuringFault, PrometheusText.Sum(faultMetrics, "s3router_gateway_endpoint_circuit_state", endpointLabel));
        }
        while (load.Elapsed < faultAt + scale.During);

        var duringFault = await platform.InferenceAsrCountsAsync(cancellationToken);

        victimProcess.Start();
        await victimProcess.WaitReadyAsync(cancellationToken);
        var recoveredAt = load.Elapsed;
        log($"inference {victim} ready again at {recoveredAt.TotalSeconds:0.0} s; counts before restart {Show(duringFault)}");

        await load.UntilAsync(recoveredAt + scale.After, cancellationToken);
        var report = await load.StopAsync();
        var afterRestart = await platform.InferenceAsrCountsAsync(cancellationToken);
        var gatewayMetrics = await platform.Gateway.ScrapeMetricsAsync(cancellationToken);
        var circuitAfter = PrometheusText.Sum(gatewayMetrics, "s3router_gateway_endpoint_circuit_state", endpointLabel);
        var retries = PrometheusText.Sum(gatewayMetrics, "s3router_gateway_retries_total", "method=\"Recognize\"");

        var result = new ScenarioResult(
            "pod loss", $"{scale.Describe(scale.Rate)}, 3 pods", "SIGKILL the route's owner pod, restart on its port", report, faultAt, recoveredAt);
        result.Notes.Add($"asr runs per pod: at kill {Show(before)}, before restart {Show(duringFault)}, at end {Show(afterRestart)} (pod {victim} killed; its counter restarts at 0)");
        result.Notes.Add($"gateway: victim circuit {circuitDuringFault} during the fault, {circuitAfter} at the end (0 closed, 1 half-open, 2 open); {retries} retries");
        return new Result(result, victim, before, duringFault, afterRestart, circuitDuringFault, circuitAfter, retries);
    }

    private static string Show(double[] counts) => "[" + string.Join(", ", counts.Select(c => c.ToString("0", CultureInfo.InvariantCulture))) + "]";
}
