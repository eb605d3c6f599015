using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;

namespace S3Router.Testing.Load;

/// <summary>
/// Offers a bounded load to a gRPC service and records every call's status and latency. The call itself is given as
/// a delegate that receives the call's deadline and a token, so any client and method can be driven.
/// </summary>
public static class LoadGenerator
{
    /// <summary>
    /// Runs <paramref name="call"/> under <paramref name="profile"/> and waits for the last call to end.
    /// <paramref name="call"/> gets the call's index, its deadline (UTC) and the run's token.
    /// </summary>
    public static Task<LoadReport> RunAsync(
        LoadProfile profile, Func<long, DateTime, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        RunAsync(profile, call, CancellationToken.None, cancellationToken);

    /// <summary>
    /// Like <see cref="RunAsync(LoadProfile, Func{long, DateTime, CancellationToken, Task}, CancellationToken)"/>, but
    /// no call is started once <paramref name="stop"/> fires (calls in flight still end normally); the report then
    /// covers the time until the stop.
    /// </summary>
    public static async Task<LoadReport> RunAsync(
        LoadProfile profile, Func<long, DateTime, CancellationToken, Task> call, CancellationToken stop, CancellationToken cancellationToken)
    {
        if (profile.Rate is null == profile.Concurrency is null)
        {
            throw new ArgumentException("Give exactly one of Rate and Concurrency.", nameof(profile));
        }

        var run = new Run(profile, call, stop);
        var clock = Stopwatch.StartNew();
        if (profile.Rate is { } rate)
        {
            await run.OpenLoopAsync(rate, clock, cancellationToken);
        }
        else
        {
            await run.ClosedLoopAsync(profile.Concurrency!.Value, clock, cancellationToken);
        }

        var duration = run.StoppedAt < profile.Duration ? run.StoppedAt : profile.Duration;
        return new LoadReport(run.Samples, duration, run.Skipped, [.. run.Failures]);
    }

    private sealed class Run(LoadProfile profile, Func<long, DateTime, CancellationToken, Task> call, CancellationToken stop)
    {
        private long _next;
        private int _inFlight;
        private int _skipped;

        public ConcurrentBag<CallSample> Samples { get; } = [];

        public ConcurrentQueue<string> Failures { get; } = new();

        public int Skipped => _skipped;

        /// <summary>When <c>stop</c> fired, from the start; <see cref="TimeSpan.MaxValue"/> when it never did.</summary>
        public TimeSpan StoppedAt { get; private set; } = TimeSpan.MaxValue;

        public async Task OpenLoopAsync(double rate, Stopwatch clock, CancellationToken token)
        {
            if (rate <= 0)
            {
                throw new ArgumentException("Rate must be positive.", nameof(rate));
            }

            var running = new List<Task>();
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(token, stop);
            for (long i = 0; ; i++)
            {
                var due = TimeSpan.FromSeconds(i / rate);
                if (due >= profile.Duration)
                {
                    break;
                }

                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(wait, wake.Token);
                    }
                    catch (OperationCanceledException) when (!token.IsCancellationRequested)
                    {
                        // stopped early
                    }
                }

                if (stop.IsCancellationRequested)
                {
                    StoppedAt = clock.Elapsed;
                    break;
                }

                if (Volatile.Read(ref _inFlight) >= profile.MaxInFlight)
                {
                    Interlocked.Increment(ref _skipped);
                    continue;
                }

                running.Add(OneAsync(clock, token));
                if (running.Count > 1024)
                {
                    running.RemoveAll(t => t.IsCompleted);
                }
            }

            await Task.WhenAll(running);
        }

        public async Task ClosedLoopAsync(int concurrency, Stopwatch clock, CancellationToken token)
        {
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                while (clock.Elapsed < profile.Duration && !stop.IsCancellationRequested)
                {
                    await OneAsync(clock, token);
                }
            }));
            if (stop.IsCancellationRequested)
            {
                StoppedAt = clock.Elapsed;
            }
        }

        private async Task OneAsync(Stopwatch clock, CancellationToken token)
        {
            Interlocked.Increment(ref _inFlight);
            var index = Interlocked.Increment(ref _next) - 1;
            var start = clock.Elapsed;
            StatusCode status;
            try
            {
                // Yield first so a synchronous part of the call never delays the schedule.
                await Task.Yield();
                await call(index, DateTime.UtcNow + profile.CallTimeout, token);
                status = StatusCode.OK;
            }
            catch (RpcException e)
            {
                status = e.StatusCode;
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                status = StatusCode.Unknown;
                if (Failures.Count < 10)
                {
                    Failures.Enqueue(e.ToString());
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }

            Samples.Add(new CallSample(start, clock.Elapsed - start, status));
        }
    }
}
