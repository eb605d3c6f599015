using System.Diagnostics;

namespace S3Router.Bench;

/// <summary>Closed-loop load: <c>concurrency</c> workers send calls back to back until <c>total</c> calls are done.</summary>
internal static class LoadRunner
{
    /// <summary>Latencies (seconds, sorted) and throughput (calls per second) of <paramref name="total"/> calls.</summary>
    public static async Task<LoadResult> RunAsync(int concurrency, int total, Func<int, Task> call)
    {
        var latencies = new double[total];
        var next = -1;
        var wall = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < total)
            {
                var started = Stopwatch.GetTimestamp();
                await call(index);
                latencies[index] = Stopwatch.GetElapsedTime(started).TotalSeconds;
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var seconds = wall.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return new LoadResult(latencies, total / seconds);
    }
}

/// <summary>Sorted latencies in seconds and calls per second.</summary>
internal sealed record LoadResult(double[] Latencies, double Throughput)
{
    public double P50 => Percentile(0.50);

    public double P99 => Percentile(0.99);

    /// <summary>Nearest-rank percentile.</summary>
    public double Percentile(double p) => Latencies[Math.Clamp((int)Math.Ceiling(p * Latencies.Length) - 1, 0, Latencies.Length - 1)];
}
