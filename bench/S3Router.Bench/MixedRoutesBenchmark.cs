using System.Diagnostics;
using System.Globalization;
using S3Router.Core.Masks;
using S3Router.InferenceService.Onnx;

namespace S3Router.Bench;

/// <summary>
/// Where "8 mixed routes vs 1 route" loses throughput, in process on models/tiny-ssl: the backbone work of 8 requests
/// (2.5 s of audio each) done as the service does it with the run gate at its default (<c>--gate 1</c>: one backbone
/// run at a time on 2 cores with 2 intra-op threads), case by case, interleaved over rounds so the machine's load hits
/// every case alike. Cases, for each intra-op spinning mode (<see cref="OnnxSpinning"/>):
/// one route's encoder session at batch 8 (what 1 route gets); the same session 8 times at batch 1 (batch size only);
/// 8 sessions of different masks at batch 1 each (what 8 mixed routes get: batch size plus switching sessions); and
/// the same two with the shared frontend at batch 8 first (the whole request path). Prints time and process CPU time
/// per 8 requests and throughput relative to the first case of the first mode.
/// </summary>
internal static class MixedRoutesBenchmark
{
    private const int Requests = 8;

    public static async Task RunAsync(int rounds, int threads, int gate)
    {
        var backboneDirectory = Path.Combine(Directory.GetCurrentDirectory(), "models", "tiny-ssl");
        var (config, raw) = await BackboneCheckpoint.LoadAsync(backboneDirectory);
        var weights = Wav2Vec2Weights.Normalize(raw);
        var demo = MaskBundle.Read(Path.Combine(backboneDirectory, "routes", "asr-en.safetensors"));
        var bundles = Enumerable.Range(0, Requests).Select(i => RouteVariants.Variant(demo, $"asr_b{i:00}", seed: 1000 + i)).ToList();

        // 2.5 s of seeded noise (the backbone's cost does not depend on the values).
        var random = new Random(7);
        var samples = Enumerable.Range(0, 40_000).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.1f).ToArray();
        var audio = Enumerable.Repeat(samples, Requests).ToArray();
        using var gateSlots = new SemaphoreSlim(gate, gate);
        var disposables = new List<IDisposable>();
        var cases = new List<(string Name, Action Run)>();
        var frameCount = 0;
        foreach (var mode in new[] { OnnxSpinning.Always, OnnxSpinning.WhileRunning, OnnxSpinning.Never })
        {
            var options = new OnnxEngineOptions { IntraOpThreads = threads, Spinning = mode };
            var frontend = OnnxFrontendSession.Create(config, weights, options);
            var factory = new EncoderSessionFactory(config, weights, options);
            var unmasked = factory.Create(null).Session;
            var sessions = bundles.Select(b => factory.Create(b.Masks).Session).ToList();
            disposables.AddRange([.. sessions, unmasked, factory, frontend]);
            var frames = frontend.Run([samples])[0];
            frameCount = frames.GetLength(0);
            float[][,] Batch(int count) => Enumerable.Repeat(frames, count).ToArray();

            // The 8 batch-1 runs as the service makes them: each waits for a slot of the run gate.
            void Parallel(Func<int, OnnxEncoderSession> session) =>
                Task.WaitAll(Enumerable.Range(0, Requests).Select(i => Task.Run(() =>
                {
                    gateSlots.Wait();
                    try
                    {
                        session(i).Run(Batch(1));
                    }
                    finally
                    {
                        gateSlots.Release();
                    }
                })).ToArray());

            var label = mode switch
            {
                OnnxSpinning.Always => "spin always (before)",
                OnnxSpinning.WhileRunning => "spin while running",
                _ => "never spin",
            };
            cases.Add(($"{label}: 1 route, encoder batch 8", () => sessions[0].Run(Batch(Requests))));
            cases.Add(($"{label}: 1 route, encoder 8 x batch 1", () => Parallel(_ => sessions[0])));
            cases.Add(($"{label}: 8 routes, encoder 8 x batch 1 (a session each)", () => Parallel(i => sessions[i])));
            cases.Add(($"{label}: frontend batch 8 + 1 route encoder batch 8", () =>
            {
                frontend.Run(audio);
                sessions[0].Run(Batch(Requests));
            }));
            cases.Add(($"{label}: frontend batch 8 + 8 routes encoder 8 x batch 1", () =>
            {
                frontend.Run(audio);
                Parallel(i => sessions[i]);
            }));
        }

        foreach (var (_, run) in cases)
        {
            run(); // warm-up: arenas, first-run allocations
        }

        var wall = cases.ToDictionary(c => c.Name, _ => new List<double>());
        var cpu = cases.ToDictionary(c => c.Name, _ => new List<double>());
        using var process = Process.GetCurrentProcess();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, run) in cases)
            {
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var started = Stopwatch.GetTimestamp();
                run();
                wall[name].Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                process.Refresh();
                cpu[name].Add((process.TotalProcessorTime - cpuBefore).TotalSeconds);
            }
        }

        Console.WriteLine($"mixed routes, in process: models/tiny-ssl, {Requests} requests of 2.5 s ({frameCount} frames), {threads} intra-op threads, run gate {gate}, {rounds} interleaved rounds; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| case | median ms per 8 requests | min ms | CPU ms per 8 requests (median) | throughput vs the first row |");
        Console.WriteLine("|---|---|---|---|---|");
        var reference = Median(wall[cases[0].Name]);
        foreach (var (name, _) in cases)
        {
            var median = Median(wall[name]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {median * 1000:F1} | {wall[name].Min() * 1000:F1} | {Median(cpu[name]) * 1000:F0} | {reference / median:F2}x |"));
        }

        Console.WriteLine("8 routes / 1 route throughput (same spinning mode):");
        for (var i = 0; i < cases.Count; i += 5)
        {
            var mode = cases[i].Name[..cases[i].Name.IndexOf(':', StringComparison.Ordinal)];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {mode}: encoder only {Median(wall[cases[i].Name]) / Median(wall[cases[i + 2].Name]):F2}x, with the frontend {Median(wall[cases[i + 3].Name]) / Median(wall[cases[i + 4].Name]):F2}x"));
        }

        foreach (var disposable in disposables)
        {
            disposable.Dispose();
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
