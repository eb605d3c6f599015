using System.Diagnostics;
using System.Globalization;
using S3Router.Testing.Load;
using S3Router.Testing.Resilience;

namespace S3Router.Bench;

/// <summary>
/// The resilience scenarios of the end-to-end tests (tests/S3Router.Testing/Resilience), run with longer phases:
/// real registry, inference and gateway processes on loopback, a load held through each fault, and one table of
/// calls per status and latency before, during and after the fault. Prints figures; asserts nothing.
/// </summary>
internal static class ResilienceBenchmark
{
    public static async Task RunAsync(bool quick, string? only)
    {
        var scale = quick ? ResilienceScale.Test : ResilienceScale.Bench;
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores, shared with other jobs");
        Console.WriteLine($"load average at start: {LoadAverage()}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"phases: {scale.Before.TotalSeconds:0} s before, {scale.During.TotalSeconds:0} s during, {scale.After.TotalSeconds:0} s after the fault"));
        var results = new List<ScenarioResult>();
        var wall = Stopwatch.StartNew();
        foreach (var (name, run) in Scenarios())
        {
            if (only is not null && !name.Contains(only, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            Console.WriteLine($"-- {name} (load average {LoadAverage()})");
            ScenarioResult result;
            try
            {
                result = await run(scale, line => Console.WriteLine("   " + line), CancellationToken.None);
            }
            catch (Exception e) when (e is Grpc.Core.RpcException or TimeoutException or InvalidOperationException)
            {
                Console.WriteLine($"   {name} did not complete: {e.Message}");
                continue;
            }

            results.Add(result);
            foreach (var note in result.Notes)
            {
                Console.WriteLine("   " + note);
            }

            foreach (var failure in result.Whole.Failures)
            {
                Console.WriteLine("   non-gRPC failure: " + failure);
            }
        }

        Console.WriteLine();
        Console.WriteLine("| scenario | load held | fault injected | calls | per status | p50 / p99 before | p50 / p99 during | p50 / p99 after |");
        Console.WriteLine("|---|---|---|---:|---|---:|---:|---:|");
        foreach (var r in results)
        {
            var statuses = string.Join(", ", r.Whole.Counts.Select(c => $"{c.Key} {c.Value}"));
            Console.WriteLine($"| {r.Name} | {r.Load} | {r.Fault} | {r.Whole.Count} | {statuses} | {Latency(r.Before)} | {Latency(r.During)} | {Latency(r.After)} |");
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wall time {wall.Elapsed.TotalMinutes:0.0} min; load average at end: {LoadAverage()}"));
    }

    private static IEnumerable<(string Name, Func<ResilienceScale, Action<string>, CancellationToken, Task<ScenarioResult>> Run)> Scenarios() =>
    [
        ("pod-loss", async (s, log, ct) => (await PodLossScenario.RunAsync(s, log, ct)).Load),
        ("registry-loss", async (s, log, ct) => (await RegistryLossScenario.RunAsync(s, log, ct)).Load),
        ("slow-pod", async (s, log, ct) => (await SlowPodScenario.RunAsync(s, log, ct)).Load),
        ("overload", async (s, log, ct) => (await OverloadScenario.RunAsync(s, log, ct)).Load),
    ];

    private static string Latency(LoadReport report) => $"{LoadReport.Ms(report.Percentile(0.5))} / {LoadReport.Ms(report.Percentile(0.99))} ms";

    private static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
