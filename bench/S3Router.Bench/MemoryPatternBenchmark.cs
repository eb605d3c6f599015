using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Net.Client;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;

namespace S3Router.Bench;

// serving --pattern-only: Inference:OnnxMemoryPattern on vs off, one fresh inference process per setting and round,
// both running at once with their calls interleaved, so the shared machine's load hits both alike.
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
        Console.WriteLine($"## ONNX Runtime memory pattern for route sessions (Inference:OnnxMemoryPattern), {rounds} rounds, calls of the two processes interleaved");
        Console.WriteLine($"per process: {PatternHotRoutes} routes made hot with the {content.Length}-byte WAV; on one hot route {lengths.Length} pairs of calls, "
            + "one fixed 4.5 s, one of a distinct length (1.0-8.0 s by 50 ms, shuffled); then 20 other distinct lengths on each hot route");

        var results = new List<PatternFigures>();
        for (var round = 1; round <= rounds; round++)
        {
            // Both processes at once, their calls interleaved one by one (the first of each pair alternating): the shared
            // machine's load hits both alike.
            var order = round % 2 == 1 ? new[] { true, false } : [false, true];
            var pods = new List<PatternPod>();
            try
            {
                foreach (var on in order)
                {
                    pods.Add(await PatternPodAsync(processes, repository, backboneDirectory, registry, loaded, variants, content, on));
                }

                foreach (var pod in pods)
                {
                    for (var i = 0; i < 5; i++)
                    {
                        await RecognizeLinear16Async(pod.Client, fixedContent, pod.Route);
                    }
                }

                for (var i = 0; i < varying.Length; i++)
                {
                    foreach (var pod in i % 2 == 0 ? pods : Enumerable.Reverse(pods))
                    {
                        var started = Stopwatch.GetTimestamp();
                        await RecognizeLinear16Async(pod.Client, fixedContent, pod.Route);
                        pod.Fixed.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                    }

                    foreach (var pod in i % 2 == 0 ? Enumerable.Reverse(pods) : pods)
                    {
                        var started = Stopwatch.GetTimestamp();
                        await RecognizeLinear16Async(pod.Client, varying[i], pod.Route);
                        pod.Varying.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                    }
                }

                await Task.Delay(2000);
                var rssOne = pods.Select(p => p.Process.ResidentBytes()).ToList();
                // Other distinct lengths on every hot route (each its own 20 of the 141, rotated).
                for (var k = 0; k < 20; k++)
                {
                    for (var j = 0; j < pods[0].Hot.Count; j++)
                    {
                        foreach (var pod in pods)
                        {
                            await RecognizeLinear16Async(pod.Client, varying[((j * 17) + k) % varying.Length], Selector(pod.Hot[j]));
                        }
                    }
                }

                await Task.Delay(2000);
                for (var p = 0; p < pods.Count; p++)
                {
                    var pod = pods[p];
                    var rssAll = pod.Process.ResidentBytes();
                    var f = new PatternFigures(
                        round, pod.On, pod.PerSession, pod.RssHot, rssOne[p] - pod.RssHot, rssAll - rssOne[p], Percentile(pod.Fixed, 0.5), Percentile(pod.Fixed, 0.99),
                        Percentile(pod.Varying, 0.5), Percentile(pod.Varying, 0.99), pod.LoadStart, LoadAverage());
                    Console.WriteLine($"round {round}, memory pattern {(pod.On ? "on" : "off")}: sessions {pod.Sessions1} -> {pod.SessionsHot} -> {await pod.Process.MetricAsync("s3router_inference_onnx_sessions")} (frontend + unmasked + routes'), "
                        + $"RSS {pod.Rss1 / 1048576.0:F1} -> {pod.RssHot / 1048576.0:F1} -> {rssOne[p] / 1048576.0:F1} -> {rssAll / 1048576.0:F1} MiB; fixed p50 {Ms(f.FixedP50)}, varying p50 {Ms(f.VaryingP50)} ms; load {LoadAverage()}");
                    results.Add(f);
                }

                // Long requests last (Inference:ArenaShrinkAboveSeconds): 30 s, 60 s and 60 s again on the same route.
                var longRequests = new[] { 30, 60, 60 }.Select(seconds => (seconds, ByteString.CopyFrom(Linear16Samples(utterance, seconds * 16000)))).ToArray();
                foreach (var pod in pods)
                {
                    var line = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"round {round}, memory pattern {(pod.On ? "on" : "off")}, long requests: RSS {pod.Process.ResidentBytes() / 1048576.0:F1} MiB"));
                    foreach (var (seconds, audio) in longRequests)
                    {
                        var started = Stopwatch.GetTimestamp();
                        await RecognizeLinear16Async(pod.Client, audio, pod.Route);
                        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                        await Task.Delay(2000);
                        line.Append(string.Create(CultureInfo.InvariantCulture, $" -> {seconds} s ({ms:F0} ms) {pod.Process.ResidentBytes() / 1048576.0:F1} MiB"));
                    }

                    Console.WriteLine(line);
                }
            }
            finally
            {
                foreach (var pod in pods)
                {
                    pod.Process.Dispose();
                    processes.Remove(pod.Process);
                }
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

    // A fresh inference process with the setting, 8 routes requested (made hot) with the bench's WAV; RSS per hot session.
    private static async Task<PatternPod> PatternPodAsync(
        List<BenchProcess> processes, string repository, string backboneDirectory, BenchProcess registry, LoadedBackbone loaded,
        List<MaskBundle> variants, ByteString content, bool on)
    {
        var loadStart = LoadAverage();
        // Room for the unmasked encoder and 8 route sessions and a half (as the memory setups).
        var overhead = EncoderSessionFactory.OverheadBytes(loaded.Config);
        var routeBytes = variants[0].Masks.Sum(m => m.ElementCount * sizeof(float)) + overhead;
        var hotBudget = loaded.EncoderBytes + overhead + (routeBytes * PatternHotRoutes) + (routeBytes / 2);
        var process = Start(processes, repository, "InferenceService", $"inference-pattern-{(on ? "on" : "off")}", InferenceSettings(backboneDirectory, registry, new()
        {
            ["Inference__MaskCacheBudgetBytes"] = hotBudget.ToString(CultureInfo.InvariantCulture),
            ["Inference__OnnxMemoryPattern"] = on ? "true" : "false",
        }));
        await process.WaitReadyAsync();
        var channel = GrpcChannel.ForAddress(process.Address);
        var client = new Speech.SpeechClient(channel);
        var hot = variants.Take(PatternHotRoutes).ToList();
        long rss1 = 0;
        double sessions1 = 0;
        for (var i = 0; i < hot.Count; i++)
        {
            var settles = await process.MetricAsync(SettleCount);
            await RecognizeAsync(client, content, Selector(hot[i]));
            if (i == 0)
            {
                await Task.Delay(2000);
                await SettledAsync(process, settles);
                (rss1, sessions1) = (process.ResidentBytes(), await process.MetricAsync("s3router_inference_onnx_sessions"));
            }
            else if (i == hot.Count - 1)
            {
                await Task.Delay(2000);
                await SettledAsync(process, settles);
            }
        }

        var rssHot = process.ResidentBytes();
        var sessionsHot = await process.MetricAsync("s3router_inference_onnx_sessions");
        return new PatternPod(on, process, client, hot, Selector(hot[^1]), rss1, sessions1, rssHot, sessionsHot, (rssHot - rss1) / (sessionsHot - sessions1), loadStart);
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>One Recognize call with LINEAR16 16 kHz audio and a deadline (default 2 min).</summary>
    private static Task RecognizeLinear16Async(Speech.SpeechClient client, ByteString linear16, RouteSelector route, TimeSpan? deadline = null) =>
        client.RecognizeAsync(new RecognizeRequest
        {
            Task = route.Task,
            LanguageCode = route.LanguageCode,
            Config = new RecognitionConfig { Encoding = Api.V1.AudioEncoding.Linear16, SampleRateHertz = 16000 },
            Audio = new RecognitionAudio { Content = linear16 },
        }, deadline: DateTime.UtcNow + (deadline ?? TimeSpan.FromMinutes(2))).ResponseAsync;

    private sealed record PatternPod(
        bool On, BenchProcess Process, Speech.SpeechClient Client, List<MaskBundle> Hot, RouteSelector Route, long Rss1, double Sessions1, long RssHot,
        double SessionsHot, double PerSession, string LoadStart)
    {
        public List<double> Fixed { get; } = [];

        public List<double> Varying { get; } = [];
    }

    private sealed record PatternFigures(
        int Round, bool On, double PerSession, long RssHot, long AfterOne, long AfterAll, double FixedP50, double FixedP99, double VaryingP50,
        double VaryingP99, string LoadStart, string LoadEnd);
}
