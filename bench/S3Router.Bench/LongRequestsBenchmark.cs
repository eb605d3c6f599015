using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Net.Client;
using S3Router.Api.V1;
using S3Router.Core.Masks;

namespace S3Router.Bench;

// serving --long-only: N concurrent 60 s requests on one route (N = 1, 8, 32), and 1-2 s requests with 60 s ones in
// flight, per Inference:MaxBatchAudioSeconds setting; a fresh inference process per case and setting, so its VmHWM is
// that case's peak resident memory.
internal static partial class ServingBenchmark
{
    private const int LongSeconds = 60;
    private const int ShortWorkers = 8;
    private const int LongInMixed = 3;

    private static async Task LongRequestsAsync(
        List<BenchProcess> processes, string repository, string backboneDirectory, BenchProcess registry, MaskBundle route, float[] utterance)
    {
        // S3R_BENCH_BATCH_AUDIO: the Inference:MaxBatchAudioSeconds values to compare, comma-separated (0 = no cap).
        var settings = (Environment.GetEnvironmentVariable("S3R_BENCH_BATCH_AUDIO") is { Length: > 0 } chosen ? chosen : "0,60")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var longAudio = ByteString.CopyFrom(Linear16Samples(utterance, LongSeconds * 16000));
        // 1.0-2.0 s by 0.1 s.
        var shortAudio = Enumerable.Range(0, 11).Select(i => ByteString.CopyFrom(Linear16Samples(utterance, 16000 + (i * 1600)))).ToArray();
        var selector = Selector(route);
        var cases = new (string Name, int Long)[] { ($"{LongSeconds} s x 1", 1), ($"{LongSeconds} s x 8", 8), ($"{LongSeconds} s x 32", 32), ("mixed", 0) };
        Console.WriteLine();
        Console.WriteLine($"## Long requests by Inference:MaxBatchAudioSeconds ({string.Join(", ", settings)}; 0 = no cap), route {Name(route)}, direct to inference; "
            + $"a fresh process per case and setting; mixed = {ShortWorkers} workers sending 1-2 s requests back to back, alone, then while {LongInMixed} "
            + $"{LongSeconds} s requests run one after another");

        var rows = new List<LongFigures>();
        foreach (var (name, longCount) in cases)
        {
            foreach (var setting in settings)
            {
                var loadStart = LoadAverage();
                var process = Start(processes, repository, "InferenceService", $"inference-long-{setting}", InferenceSettings(backboneDirectory, registry, new()
                {
                    ["Inference__Preload__0"] = Name(route),
                    ["Inference__MaxBatchAudioSeconds"] = setting,
                }));
                try
                {
                    await process.WaitReadyAsync();
                    using var channel = GrpcChannel.ForAddress(process.Address);
                    var client = new Speech.SpeechClient(channel);
                    foreach (var audio in shortAudio.Take(4))
                    {
                        await RecognizeLinear16Async(client, audio, selector);
                    }

                    await Task.Delay(1000);
                    var rssBefore = process.ResidentBytes();
                    var reset = process.ResetPeakResident();
                    LongFigures row;
                    if (longCount > 0)
                    {
                        var result = await LoadRunner.RunAsync(longCount, longCount, _ => LongCallAsync(client, longAudio, selector));
                        row = new LongFigures(name, setting, rssBefore, process.PeakResidentBytes(), reset, [.. result.Latencies], [], [], result.Failed, loadStart, LoadAverage());
                    }
                    else
                    {
                        var alone = await LoadRunner.RunAsync(ShortWorkers, ShortWorkers * 6, i => LongCallAsync(client, shortAudio[i % shortAudio.Length], selector));
                        var (longLatencies, withLong, failed) = await ShortsWithLongAsync(client, selector, longAudio, shortAudio);
                        row = new LongFigures(name, setting, rssBefore, process.PeakResidentBytes(), reset, longLatencies, [.. alone.Latencies], withLong, failed + alone.Failed, loadStart, LoadAverage());
                    }

                    Failed += row.Failed;
                    rows.Add(row);
                    Console.WriteLine($"{name}, MaxBatchAudioSeconds {setting}: RSS {rssBefore / 1048576.0:F1} MiB, peak {row.Peak / 1048576.0:F1} MiB{(reset ? "" : " (since start)")}; "
                        + $"long p50 {Ms(Percentile(row.Long, 0.5))} ms; load {loadStart} -> {row.LoadEnd}");
                }
                finally
                {
                    process.Dispose();
                    processes.Remove(process);
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("| case | MaxBatchAudioSeconds | RSS before MiB | peak RSS (VmHWM) MiB | peak - before MiB | 60 s requests p50 / p99 ms | 1-2 s alone p50 / p99 ms | 1-2 s with a 60 s in flight p50 / p99 ms (calls) | failed | load start / end |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var f in rows)
        {
            string Pair(List<double> values) => values.Count == 0 ? "-" : $"{Ms(Percentile(values, 0.5))} / {Ms(Percentile(values, 0.99))}";
            Console.WriteLine($"| {f.Case} | {(f.Setting == "0" ? "0 (no cap)" : f.Setting)} | {f.RssBefore / 1048576.0:F1} | {f.Peak / 1048576.0:F1}{(f.PeakReset ? "" : " (since start)")} | "
                + $"{(f.Peak - f.RssBefore) / 1048576.0:F1} | {Pair(f.Long)} | {Pair(f.ShortAlone)} | {Pair(f.ShortWithLong)}{(f.ShortWithLong.Count > 0 ? $" ({f.ShortWithLong.Count})" : "")} | {f.Failed} | {f.LoadStart} / {f.LoadEnd} |");
        }
    }

    // LongInMixed long requests one after another while ShortWorkers workers send short ones back to back until the last
    // long one is answered: the long latencies, the short latencies, failed calls.
    private static async Task<(List<double> Long, List<double> Short, int Failed)> ShortsWithLongAsync(
        Speech.SpeechClient client, RouteSelector selector, ByteString longAudio, ByteString[] shortAudio)
    {
        using var done = new CancellationTokenSource();
        var shortLatencies = new List<double>();
        var failed = 0;
        var next = -1;
        var workers = Enumerable.Range(0, ShortWorkers).Select(_ => Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var audio = shortAudio[Interlocked.Increment(ref next) % shortAudio.Length];
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await LongCallAsync(client, audio, selector);
                    lock (shortLatencies)
                    {
                        shortLatencies.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                    }
                }
                catch (Grpc.Core.RpcException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })).ToList();

        // Let the short requests fill the queue first, so each long one arrives among them.
        await Task.Delay(500);
        var longLatencies = new List<double>();
        for (var i = 0; i < LongInMixed; i++)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await LongCallAsync(client, longAudio, selector);
                longLatencies.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            catch (Grpc.Core.RpcException)
            {
                Interlocked.Increment(ref failed);
            }
        }

        await done.CancelAsync();
        await Task.WhenAll(workers);
        return (longLatencies, shortLatencies, failed);
    }

    // A 10 min deadline: at 32 concurrent 60 s requests on a loaded 2-core machine the last ones wait minutes.
    private static Task LongCallAsync(Speech.SpeechClient client, ByteString linear16, RouteSelector route) =>
        RecognizeLinear16Async(client, linear16, route, TimeSpan.FromMinutes(10));

    private sealed record LongFigures(
        string Case, string Setting, long RssBefore, long Peak, bool PeakReset, List<double> Long, List<double> ShortAlone, List<double> ShortWithLong,
        int Failed, string LoadStart, string LoadEnd);
}
