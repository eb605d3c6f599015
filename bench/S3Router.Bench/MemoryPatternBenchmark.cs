using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Net.Client;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;

namespace S3Router.Bench;

// serving --pattern-only: Inference:OnnxMemoryPattern on vs off, one fresh inference process per setting and round,
// the settings alternated (on, off, then off, on, ...) so the shared machine's load hits both alike.
internal static partial class ServingBenchmark
{
    private const int PatternHotRoutes = 8;

    private static async Task MemoryPatternAsync(
        List<BenchProcess> processes, string repository, string backboneDirectory, BenchProcess registry, LoadedBackbone loaded,
        List<MaskBundle> variants, ByteString content, float[] utterance)
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("S3R_BENCH_PATTERN_ROUNDS"), CultureInfo.InvariantCulture, out var r) ? r : 3;
        // 141 distinct lengths, 1.00-8.00 s by 50 ms (2.5 encoder frames apart: each a distinct shape), in a fixed shuffle;
        // the fixed length is their mean.
        var lengths = Enumerable.Range(0, 141).Select(i => 16000 + (i * 800)).ToArray();
        new Random(7).Shuffle(lengths);
        var fixedContent = ByteString.CopyFrom(Linear16Samples(utterance, 4 * 16000 + 8000));
        var varying = lengths.Select(n => ByteString.CopyFrom(Linear16Samples(utterance, n))).ToArray();
        Console.WriteLine();
        Console.WriteLine($"## ONNX Runtime memory pattern for route sessions (Inference:OnnxMemoryPattern), {rounds} rounds, settings alternated");
        Console.WriteLine($"per process: {PatternHotRoutes} routes made hot with the {content.Length}-byte WAV; on one hot route {lengths.Length} pairs of calls, "
            + "one fixed 4.5 s, one of a distinct length (1.0-8.0 s by 50 ms, shuffled); then 20 other distinct lengths on each hot route");

        var results = new List<PatternFigures>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var on in round % 2 == 1 ? new[] { true, false } : [false, true])
            {
                results.Add(await MemoryPatternProcessAsync(processes, repository, backboneDirectory, registry, loaded, variants, content, fixedContent, varying, lengths, round, on));
            }
        }

        Console.WriteLine();
        Console.WriteLine("| round | memory pattern | RSS per hot session MiB | RSS at 8 hot routes MiB | + after 141 lengths on 1 route MiB | + after 20 lengths on each of 8 MiB | fixed 4.5 s p50 / p99 ms | varying 1-8 s p50 / p99 ms | load at start / end |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var f in results)
        {
            Console.WriteLine($"| {f.Round} | {(f.On ? "on" : "off")} | {f.PerSession / 1048576.0:F1} | {f.RssHot / 1048576.0:F1} | {f.AfterOne / 1048576.0:+0.0;-0.0} | {f.AfterAll / 1048576.0:+0.0;-0.0} | {Ms(f.FixedP50)} / {Ms(f.FixedP99)} | {Ms(f.VaryingP50)} / {Ms(f.VaryingP99)} | {f.LoadStart} / {f.LoadEnd} |");
        }

        Console.WriteLine();
        Console.WriteLine("| memory pattern | RSS per hot session MiB | RSS at 8 hot routes MiB | RSS after all lengths MiB | fixed p50 ms | fixed p99 ms | varying p50 ms | varying p99 ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var on in new[] { true, false })
        {
            var of = results.Where(f => f.On == on).ToList();
            string Range(Func<PatternFigures, double> pick, double scale) =>
                $"{of.Min(pick) * scale:F1}-{of.Max(pick) * scale:F1} (median {Median(of.Select(pick).ToList()) * scale:F1})";
            Console.WriteLine($"| {(on ? "on (before)" : "off")} | {Range(f => f.PerSession, 1 / 1048576.0)} | {Range(f => f.RssHot, 1 / 1048576.0)} | {Range(f => f.RssHot + f.AfterOne + f.AfterAll, 1 / 1048576.0)} | "
                + $"{Range(f => f.FixedP50, 1000)} | {Range(f => f.FixedP99, 1000)} | {Range(f => f.VaryingP50, 1000)} | {Range(f => f.VaryingP99, 1000)} |");
        }
    }

    private static async Task<PatternFigures> MemoryPatternProcessAsync(
        List<BenchProcess> processes, string repository, string backboneDirectory, BenchProcess registry, LoadedBackbone loaded,
        List<MaskBundle> variants, ByteString content, ByteString fixedContent, ByteString[] varying, int[] lengths, int round, bool on)
    {
        var loadStart = LoadAverage();
        // Room for the unmasked encoder and 8 route sessions and a half (as the memory setups).
        var overhead = EncoderSessionFactory.OverheadBytes(loaded.Config);
        var routeBytes = variants[0].Masks.Sum(m => m.ElementCount * sizeof(float)) + overhead;
        var hotBudget = loaded.EncoderBytes + overhead + (routeBytes * PatternHotRoutes) + (routeBytes / 2);
        var process = Start(processes, repository, "InferenceService", "inference-pattern", InferenceSettings(backboneDirectory, registry, new()
        {
            ["Inference__MaskCacheBudgetBytes"] = hotBudget.ToString(CultureInfo.InvariantCulture),
            ["Inference__OnnxMemoryPattern"] = on ? "true" : "false",
        }));
        try
        {
            await process.WaitReadyAsync();
            using var channel = GrpcChannel.ForAddress(process.Address);
            var client = new Speech.SpeechClient(channel);
            var hot = variants.Take(PatternHotRoutes).ToList();
            long rss1 = 0;
            double sessions1 = 0;
            for (var i = 0; i < hot.Count; i++)
            {
                var settles = await process.MetricAsync(SettleCount);
                await RecognizeAsync(client, content, Selector(hot[i]));
                if (i == 0 || i == hot.Count - 1)
                {
                    await Task.Delay(2000);
                    await SettledAsync(process, settles);
                    (rss1, sessions1) = i == 0 ? (process.ResidentBytes(), await process.MetricAsync("s3router_inference_onnx_sessions")) : (rss1, sessions1);
                }
            }

            var rssHot = process.ResidentBytes();
            var sessionsHot = await process.MetricAsync("s3router_inference_onnx_sessions");
            var perSession = (rssHot - rss1) / (sessionsHot - sessions1);

            var route = Selector(hot[^1]);
            for (var i = 0; i < 5; i++)
            {
                await RecognizeLinear16Async(client, fixedContent, route);
            }

            var (fixedTimes, varyingTimes) = (new List<double>(), new List<double>());
            for (var i = 0; i < varying.Length; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await RecognizeLinear16Async(client, fixedContent, route);
                fixedTimes.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                started = Stopwatch.GetTimestamp();
                await RecognizeLinear16Async(client, varying[i], route);
                varyingTimes.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }

            await Task.Delay(2000);
            var rssOne = process.ResidentBytes();
            // Other distinct lengths on every hot route (each its own 20 of the 141, rotated).
            for (var k = 0; k < 20; k++)
            {
                for (var j = 0; j < hot.Count; j++)
                {
                    await RecognizeLinear16Async(client, varying[((j * 17) + k) % varying.Length], Selector(hot[j]));
                }
            }

            await Task.Delay(2000);
            var rssAll = process.ResidentBytes();
            var sessionsEnd = await process.MetricAsync("s3router_inference_onnx_sessions");
            Console.WriteLine($"round {round}, memory pattern {(on ? "on" : "off")}: sessions {sessions1} -> {sessionsHot} -> {sessionsEnd} (frontend + unmasked + routes'), RSS {rss1 / 1048576.0:F1} -> {rssHot / 1048576.0:F1} -> {rssOne / 1048576.0:F1} -> {rssAll / 1048576.0:F1} MiB; "
                + $"fixed p50 {Ms(Percentile(fixedTimes, 0.5))}, varying p50 {Ms(Percentile(varyingTimes, 0.5))} ms; load {LoadAverage()}");
            return new PatternFigures(
                round, on, perSession, rssHot, rssOne - rssHot, rssAll - rssOne, Percentile(fixedTimes, 0.5), Percentile(fixedTimes, 0.99),
                Percentile(varyingTimes, 0.5), Percentile(varyingTimes, 0.99), loadStart, LoadAverage());
        }
        finally
        {
            process.Dispose();
            processes.Remove(process);
        }
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static Task RecognizeLinear16Async(Speech.SpeechClient client, ByteString linear16, RouteSelector route) =>
        client.RecognizeAsync(new RecognizeRequest
        {
            Task = route.Task,
            LanguageCode = route.LanguageCode,
            Config = new RecognitionConfig { Encoding = Api.V1.AudioEncoding.Linear16, SampleRateHertz = 16000 },
            Audio = new RecognitionAudio { Content = linear16 },
        }, deadline: DateTime.UtcNow.AddMinutes(2)).ResponseAsync;

    private sealed record PatternFigures(
        int Round, bool On, double PerSession, long RssHot, long AfterOne, long AfterAll, double FixedP50, double FixedP99, double VaryingP50,
        double VaryingP99, string LoadStart, string LoadEnd);
}
