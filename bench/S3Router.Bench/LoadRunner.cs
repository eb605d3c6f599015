using System.Diagnostics;

namespace S3Router.Bench;

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers send calls back to back until <c>total</c> calls are done. A failed call
/// (any gRPC status) is counted, not retried; latencies are those of the successful calls.
/// </summary>
internal static class LoadRunner
{
    /// <summary>Latencies (seconds, sorted) and throughput (calls per second) of <paramref name="total"/> calls.</summary>
    public static async Task<LoadResult> RunAsync(int concurrency, int total, Func<int, Task> call)
    {
        var latencies = new double[total];
        var failed = new bool[total];
        var next = -1;
        var wall = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < total)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await call(index);
                }
                catch (Grpc.Core.RpcException)
                {
                    failed[index] = true;
                }

                latencies[index] = Stopwatch.GetElapsedTime(started).TotalSeconds;
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var seconds = wall.Elapsed.TotalSeconds;
        var ok = latencies.Where((_, i) => !failed[i]).Order().ToArray();
        return new LoadResult(ok, ok.Length / seconds, total - ok.Length);
    }
}

/// <summary>Sorted latencies in seconds of the successful calls, successful calls per second, and failed calls.</summary>
internal sealed record LoadResult(double[] Latencies, double Throughput, int Failed = 0)
{
    public double P50 => Percentile(0.50);

    public double P99 => Percentile(0.99);

    /// <summary>Nearest-rank percentile.</summary>
    public double Percentile(double p) => Latencies[Math.Clamp((int)Math.Ceiling(p * Latencies.Length) - 1, 0, Latencies.Length - 1)];
}
