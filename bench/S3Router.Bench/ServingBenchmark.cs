using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using S3Router.Api.V1;
using S3Router.Core.Audio;
using S3Router.Core.Backbones;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;
using CoreAudioEncoding = S3Router.Core.Audio.AudioEncoding;

namespace S3Router.Bench;

/// <summary>
/// End-to-end serving on loopback with the shipped tiny backbone (models/tiny-ssl) and its demo routes, every service a
/// real process (Release build): Recognize latency p50/p99 and throughput at concurrency 1/8/32, through the gateway
/// vs direct to inference; 8 mixed routes vs 1 route; shared frontend vs whole graph per route; hot vs cold routes;
/// resident memory with 1, 8, 64 routes loaded; streaming cost per audio second. Compared setups run interleaved
/// (one pass of each per round) so the machine's load hits them alike.
/// </summary>
internal static partial class ServingBenchmark
{
    private const string Utterance = "please turn on the lights in the kitchen";
    private static readonly int[] Concurrencies = [1, 8, 32];

    public static async Task RunAsync(bool quick, bool memoryOnly, bool gatewayOnly = false, bool withTieredJit = false, bool withParsingGateway = false, bool mixedOnly = false, bool patternOnly = false,
        bool longOnly = false)
    {
        var repository = Path.GetDirectoryName(FindUp("S3RouterServices.sln"))!;
        var backboneDirectory = Path.Combine(repository, "models", "tiny-ssl");
        var root = Directory.CreateTempSubdirectory("s3r-bench-serving-");
        var wall = Stopwatch.StartNew();
        var processes = new List<BenchProcess>();
        try
        {
            Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average at start {LoadAverage()}; {Environment.ProcessorCount} cores");
            var wav = Synthesize(root.FullName);
            var audio = AudioDecoder.Decode(wav, CoreAudioEncoding.EncodingUnspecified, 0);
            Console.WriteLine($"audio: espeak-ng \"{Utterance}\", {audio.Duration.TotalSeconds:F2} s WAV at {audio.SourceSampleRateHertz} Hz ({wav.Length} bytes)");

            if (gatewayOnly)
            {
                await GatewayHopAsync(processes, repository, wav, quick, withParsingGateway);
            }

            // Registry with the backbone, the 3 demo routes and 64 variants (own masks, same heads; none with --gateway-only);
            // S3R_BENCH_MEMORY_ROUTES (at least 64) more for the memory section's churn.
            var registry = Start(processes, repository, "MaskRegistry", "registry", new() { ["MaskRegistry__DataDirectory"] = Path.Combine(root.FullName, "registry") });
            await registry.WaitReadyAsync();
            var (config, backboneHex) = await RegisterBackboneAsync(registry, backboneDirectory);
            var demo = Directory.GetFiles(Path.Combine(backboneDirectory, "routes"), "*.safetensors").Order(StringComparer.Ordinal)
                .Select(path => MaskBundle.Read(path)).ToList();
            var variants = Enumerable.Range(0, gatewayOnly || longOnly ? 0 : mixedOnly ? 5 : MemoryRoutes())
                .Select(i => RouteVariants.Variant(demo[i % demo.Count], $"{demo[i % demo.Count].Task}_b{i:00}", seed: 1000 + i)).ToList();
            using (var channel = GrpcChannel.ForAddress(registry.Address))
            {
                var client = new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(channel);
                foreach (var bundle in demo.Concat(variants))
                {
                    await PublishAsync(client, bundle);
                }
            }

            if (gatewayOnly)
            {
                await GatewayVsDirectAsync(processes, repository, backboneDirectory, registry, demo, wav, quick, withTieredJit, withParsingGateway);
                Console.WriteLine();
                Console.WriteLine($"failed calls in the load phases: {Failed}");
                Console.WriteLine($"load average at end {LoadAverage()}; wall {wall.Elapsed.TotalMinutes:F1} min");
                return;
            }

            if (mixedOnly)
            {
                await MixedRoutesAsync(processes, repository, backboneDirectory, registry, demo, variants, wav, quick);
                Console.WriteLine();
                Console.WriteLine($"failed calls in the load phases: {Failed}");
                Console.WriteLine($"load average at end {LoadAverage()}; wall {wall.Elapsed.TotalMinutes:F1} min");
                return;
            }

            if (longOnly)
            {
                await LongRequestsAsync(processes, repository, backboneDirectory, registry, demo[0], audio.Samples);
                Console.WriteLine();
                Console.WriteLine($"failed calls: {Failed}");
                Console.WriteLine($"load average at end {LoadAverage()}; wall {wall.Elapsed.TotalMinutes:F1} min");
                return;
            }

            if (patternOnly)
            {
                var (_, patternWeights) = await BackboneCheckpoint.LoadAsync(backboneDirectory);
                var patternBackbone = new LoadedBackbone(config, Wav2Vec2Weights.Normalize(patternWeights), backboneHex);
                await MemoryPatternAsync(processes, repository, backboneDirectory, registry, patternBackbone, variants, ByteString.CopyFrom(wav), audio.Samples);
                Console.WriteLine();
                Console.WriteLine($"load average at end {LoadAverage()}; wall {wall.Elapsed.TotalMinutes:F1} min");
                return;
            }

            var packedBytes = variants.Select(v => v.ToBytes().LongLength).ToList();
            Console.WriteLine($"routes: {string.Join(", ", demo.Select(Name))} + {variants.Count} variants (about 1 % of mask bits flipped), packed {packedBytes.Average() / 1024:F0} KiB each on average");

            if (!memoryOnly)
            {
                await LatencyAndStreamingAsync(processes, repository, backboneDirectory, registry, demo, variants, wav, audio, quick);
            }

            // 5. Hot vs cold routes and resident memory, on fresh inference processes whose hot tier holds 8 routes: first
            // as users run it (the shipped runtimeconfig: server GC), then with workstation GC.
            var (_, rawWeights) = await BackboneCheckpoint.LoadAsync(backboneDirectory);
            var loaded = new LoadedBackbone(config, Wav2Vec2Weights.Normalize(rawWeights), backboneHex);
            var content = ByteString.CopyFrom(wav);
            // S3R_BENCH_MEMORY_SETUPS (comma-separated names of MemorySetups, in the order to run them; a name may repeat)
            // picks the setups; default: as shipped, workstation GC, route sessions without ORT's CPU arena.
            var names = (Environment.GetEnvironmentVariable("S3R_BENCH_MEMORY_SETUPS") is { Length: > 0 } chosen ? chosen : "shipped,workstation,no-arena")
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            List<MemoryFigures> figures = [];
            foreach (var name in names)
            {
                if (!MemorySetups.TryGetValue(name, out var setup))
                {
                    throw new ArgumentException($"Unknown memory setup '{name}'; known: {string.Join(", ", MemorySetups.Keys)}.");
                }

                if (setup.Settings.TryGetValue("LD_PRELOAD", out var library) && !File.Exists(library))
                {
                    Console.WriteLine($"skipped setup {name}: {library} is not installed");
                    continue;
                }

                figures.Add(await MemoryAsync(processes, repository, backboneDirectory, registry, loaded, variants, packedBytes, content, setup.Label, setup.Settings));
            }

            Console.WriteLine();
            Console.WriteLine("| setup | churn RSS x packed | churn marginal RSS x packed | churn GC committed x packed | cold-only marginal RSS x packed | RSS at full tier / 64 routes MiB | second pass MiB | RSS per hot session MiB | hot ms | rebuilt session ms | never seen ms | load 1-min at end |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var f in figures)
            {
                Console.WriteLine($"| {f.Label} | {f.ChurnRssRatio:F2} | {f.ChurnMarginalRssRatio:F2} | {f.ChurnCommittedRatio:F2} | {f.ColdMarginalRssRatio:F2} | {f.RssFull / 1048576.0:F1} / {f.Rss64 / 1048576.0:F1} | {f.SecondPass / 1048576.0:+0.0;-0.0} | {f.RssPerHotSession / 1048576.0:F1} | {Ms(f.HotMedian)} | {Ms(f.RebuiltMedian)} | {Ms(f.NeverSeenMedian)} | {f.Load} |");
            }

            // The exact managed size of a cold route: the same RouteModel objects built in this process.
            var (managed, ratio) = ColdRouteFootprint(variants, loaded);
            Console.WriteLine($"managed bytes retained per cold route (RouteModel, measured here with GC.GetTotalMemory over 64 routes): {managed / 1024:F0} KiB = {ratio:F2}x its packed size");

            Console.WriteLine();
            Console.WriteLine($"failed calls in the load phases: {Failed}");
            Console.WriteLine($"load average at end {LoadAverage()}; wall {wall.Elapsed.TotalMinutes:F1} min");
        }
        finally
        {
            foreach (var process in Enumerable.Reverse(processes))
            {
                process.Dispose();
            }

            root.Delete(recursive: true);
        }
    }

    private static async Task LatencyAndStreamingAsync(
        List<BenchProcess> processes, string repository, string backboneDirectory, BenchProcess registry, List<MaskBundle> demo,
        List<MaskBundle> variants, byte[] wav, DecodedAudio audio, bool quick)
    {
        var rounds = quick ? 1 : 2;
        var preload = new Dictionary<string, string>();
        for (var i = 0; i < demo.Count; i++)
        {
            preload[$"Inference__Preload__{i}"] = Name(demo[i]);
        }

        var inference = Start(processes, repository, "InferenceService", "inference", InferenceSettings(backboneDirectory, registry, preload));
        var whole = Start(processes, repository, "InferenceService", "inference-whole",
            InferenceSettings(backboneDirectory, registry, new(preload) { ["Inference__ShareFrontend"] = "false" }));
        await inference.WaitReadyAsync();
        await whole.WaitReadyAsync();
        // A 2 min call timeout (default 30 s): on the shared, overloaded machine queueing at c32 can exceed 30 s.
        var gateway = Start(processes, repository, "Gateway", "gateway", new()
        {
            ["Gateway__Endpoints__0"] = inference.Address,
            ["Gateway__CallTimeout"] = "00:02:00",
        });
        await gateway.WaitReadyAsync();

        using var inferenceChannel = GrpcChannel.ForAddress(inference.Address);
        using var wholeChannel = GrpcChannel.ForAddress(whole.Address);
        using var gatewayChannel = GrpcChannel.ForAddress(gateway.Address);
        var direct = new Speech.SpeechClient(inferenceChannel);
        var viaGateway = new Speech.SpeechClient(gatewayChannel);
        var wholeGraph = new Speech.SpeechClient(wholeChannel);
        var content = ByteString.CopyFrom(wav);
        var asr = Selector(demo[0]);
        var mixed = demo.Select(Selector).Concat(variants.Take(5).Select(Selector)).ToList();

        foreach (var client in new[] { direct, viaGateway, wholeGraph })
        {
            foreach (var selector in mixed)
            {
                await RecognizeAsync(client, content, selector);
            }

            await RecognizeAsync(client, content, asr, demo.Skip(1).Select(Selector));
        }

        int Calls(int concurrency) => quick ? concurrency * 2 : concurrency == 1 ? 12 : concurrency * 4;

        // 1. Gateway vs direct, one route.
        await GatewayVsDirectTableAsync($"gateway vs direct (route {Name(demo[0])}, {rounds} interleaved rounds)", direct,
            [("gateway", viaGateway, gateway.CpuSeconds)], inference.CpuSeconds, client => RecognizeAsync(client, content, asr), rounds, Calls);
        var table = new Dictionary<string, List<LoadResult>>();

        // 2. 8 mixed routes vs 1 route, through the gateway.
        Console.WriteLine();
        Console.WriteLine($"## 8 mixed routes vs 1 route (through the gateway; mixed = {string.Join(", ", mixed.Select(s => $"{s.Task}/{s.LanguageCode}"))})");
        table.Clear();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var concurrency in new[] { 8, 32 })
            {
                Add(table, $"one c{concurrency}", await LoadRunner.RunAsync(concurrency, Calls(concurrency), _ => RecognizeAsync(viaGateway, content, asr)));
                Add(table, $"mixed c{concurrency}", await LoadRunner.RunAsync(concurrency, Calls(concurrency), i => RecognizeAsync(viaGateway, content, mixed[i % mixed.Count])));
            }
        }

        Console.WriteLine("| concurrency | 1 route p50 / p99 ms | 8 routes p50 / p99 ms | 1 route req/s | 8 routes req/s | 8 / 1 throughput |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var concurrency in new[] { 8, 32 })
        {
            var one = Merge(table[$"one c{concurrency}"]);
            var many = Merge(table[$"mixed c{concurrency}"]);
            Console.WriteLine($"| {concurrency} | {Ms(one.P50)} / {Ms(one.P99)} | {Ms(many.P50)} / {Ms(many.P99)} | {one.Throughput:F1} | {many.Throughput:F1} | {many.Throughput / one.Throughput:F2}x |");
        }

        // 3. Shared frontend vs whole graph per route (two inference processes, direct).
        Console.WriteLine();
        Console.WriteLine("## shared frontend vs whole graph per route (direct to inference; Inference:ShareFrontend true vs false)");
        table.Clear();
        var others = demo.Skip(1).Select(Selector).ToList();
        var cases = new (string Name, int Concurrency, Func<Speech.SpeechClient, int, Task> Call)[]
        {
            ($"3 routes in one request ({string.Join(" + ", demo.Select(Name))}), c1", 1, (c, _) => RecognizeAsync(c, content, asr, others)),
            ("3 routes in one request, c8", 8, (c, _) => RecognizeAsync(c, content, asr, others)),
            ($"1 route ({Name(demo[0])}), c8", 8, (c, _) => RecognizeAsync(c, content, asr)),
            ("8 mixed routes, one per request, c8", 8, (c, i) => RecognizeAsync(c, content, mixed[i % mixed.Count])),
        };
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, concurrency, call) in cases)
            {
                var total = name.StartsWith("3 routes", StringComparison.Ordinal) && concurrency == 1 ? (quick ? 4 : 12) : Calls(concurrency);
                Add(table, "shared " + name, await LoadRunner.RunAsync(concurrency, total, i => call(direct, i)));
                Add(table, "whole " + name, await LoadRunner.RunAsync(concurrency, total, i => call(wholeGraph, i)));
            }
        }

        Console.WriteLine("| case | whole graph p50 ms | shared frontend p50 ms | whole req/s | shared req/s | shared / whole throughput |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (name, _, _) in cases)
        {
            var before = Merge(table["whole " + name]);
            var after = Merge(table["shared " + name]);
            Console.WriteLine($"| {name} | {Ms(before.P50)} | {Ms(after.P50)} | {before.Throughput:F1} | {after.Throughput:F1} | {after.Throughput / before.Throughput:F2}x |");
        }

        // 4. Streaming: cost per audio second for growing streams (O(n) means flat).
        Console.WriteLine();
        Console.WriteLine("## streaming (direct, LINEAR16 16 kHz in 100 ms chunks as fast as possible, interim results every 500 ms, 2 s left context)");
        Console.WriteLine("| stream s | interim results | wall s | wall s per audio s |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var seconds in quick ? new[] { 5, 10 } : [10, 20, 40])
        {
            var (interims, elapsed) = await StreamAsync(direct, Linear16(audio.Samples, seconds), asr);
            Console.WriteLine($"| {seconds} | {interims} | {elapsed:F2} | {elapsed / seconds:F3} |");
        }

        foreach (var process in new[] { gateway, whole })
        {
            process.Dispose();
            processes.Remove(process);
        }
    }

    /// <summary>
    /// "8 mixed routes vs 1 route" through the gateway for each intra-op spinning mode (<c>Inference:IntraOpSpinning</c>;
    /// <c>Always</c> is how the service ran before): one inference process and one gateway per mode, all modes and both
    /// loads interleaved in every round.
    /// </summary>
    private static async Task MixedRoutesAsync(
        List<BenchProcess> processes, string repository, string backboneDirectory, BenchProcess registry, List<MaskBundle> demo,
        List<MaskBundle> variants, byte[] wav, bool quick)
    {
        var rounds = quick ? 1 : 3;
        var preload = new Dictionary<string, string>();
        for (var i = 0; i < demo.Count; i++)
        {
            preload[$"Inference__Preload__{i}"] = Name(demo[i]);
        }

        var modes = new[] { "Always", "WhileRunning", "Never" };
        var clients = new List<(string Mode, Speech.SpeechClient Client, GrpcChannel Channel)>();
        foreach (var mode in modes)
        {
            var inference = Start(processes, repository, "InferenceService", $"inference-{mode}",
                InferenceSettings(backboneDirectory, registry, new(preload) { ["Inference__IntraOpSpinning"] = mode }));
            await inference.WaitReadyAsync();
            var gateway = Start(processes, repository, "Gateway", $"gateway-{mode}", new()
            {
                ["Gateway__Endpoints__0"] = inference.Address,
                ["Gateway__CallTimeout"] = "00:02:00",
            });
            await gateway.WaitReadyAsync();
            var channel = GrpcChannel.ForAddress(gateway.Address);
            clients.Add((mode, new Speech.SpeechClient(channel), channel));
        }

        var content = ByteString.CopyFrom(wav);
        var asr = Selector(demo[0]);
        var mixed = demo.Select(Selector).Concat(variants.Take(5).Select(Selector)).ToList();
        foreach (var (_, client, _) in clients)
        {
            foreach (var selector in mixed)
            {
                await RecognizeAsync(client, content, selector);
            }
        }

        int Calls(int concurrency) => quick ? concurrency * 2 : concurrency * 4;
        Console.WriteLine();
        Console.WriteLine($"## 8 mixed routes vs 1 route by Inference:IntraOpSpinning (through a gateway each; {rounds} interleaved rounds; mixed = {string.Join(", ", mixed.Select(s => $"{s.Task}/{s.LanguageCode}"))})");
        var table = new Dictionary<string, List<LoadResult>>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var concurrency in new[] { 8, 32 })
            {
                foreach (var (mode, client, _) in clients)
                {
                    Add(table, $"{mode} one c{concurrency}", await LoadRunner.RunAsync(concurrency, Calls(concurrency), _ => RecognizeAsync(client, content, asr)));
                    Add(table, $"{mode} mixed c{concurrency}", await LoadRunner.RunAsync(concurrency, Calls(concurrency), i => RecognizeAsync(client, content, mixed[i % mixed.Count])));
                }
            }
        }

        Console.WriteLine("| spinning | concurrency | 1 route p50 / p99 ms | 8 routes p50 / p99 ms | 1 route req/s | 8 routes req/s | 8 / 1 throughput |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var concurrency in new[] { 8, 32 })
        {
            foreach (var mode in modes)
            {
                var one = Merge(table[$"{mode} one c{concurrency}"]);
                var many = Merge(table[$"{mode} mixed c{concurrency}"]);
                Console.WriteLine($"| {(mode == "Always" ? "Always (before)" : mode)} | {concurrency} | {Ms(one.P50)} / {Ms(one.P99)} | {Ms(many.P50)} / {Ms(many.P99)} | {one.Throughput:F1} | {many.Throughput:F1} | {many.Throughput / one.Throughput:F2}x |");
            }
        }

        foreach (var (_, _, channel) in clients)
        {
            channel.Dispose();
        }
    }

    /// <summary>
    /// The gateway's cost on a hop where the backend answers at once (<see cref="InstantSpeech"/>, hosted in this
    /// process like a service, with the service defaults): the same request straight to the backend vs through a
    /// gateway process in front of it.
    /// </summary>
    private static async Task GatewayHopAsync(List<BenchProcess> processes, string repository, byte[] wav, bool quick, bool withParsingGateway)
    {
        await using var instant = await S3Router.Testing.LoopbackService.StartAsync(
            [], _ => { }, app => app.MapGrpcService<InstantSpeech>(), CancellationToken.None);
        var started = new List<BenchProcess> { Start(processes, repository, "Gateway", "gateway-instant", new() { ["Gateway__Endpoints__0"] = instant.Address }) };
        if (withParsingGateway)
        {
            started.Add(Start(processes, repository, "Gateway", "gateway-instant-parsing", ParsingGateway(instant.Address)));
        }
        foreach (var process in started)
        {
            await process.WaitReadyAsync();
        }
        var channels = started.Select(p => GrpcChannel.ForAddress(p.Address)).ToList();
        var direct = new Speech.SpeechClient(instant.Channel);
        var gateways = started.Select((p, i) => (i == 0 ? "gateway" : ParsingGatewayName, new Speech.SpeechClient(channels[i]), (Func<double>)p.CpuSeconds)).ToList();
        var content = ByteString.CopyFrom(wav);
        var asr = new RouteSelector { Task = "asr", LanguageCode = "en" };
        // Warm-up: enough calls for the first-call JIT to be over on every side.
        var clients = gateways.Select(g => g.Item2).Prepend(direct).ToList();
        await LoadRunner.RunAsync(4, quick ? 200 : 1000, i => RecognizeAsync(clients[i % clients.Count], content, asr));
        using var self = Process.GetCurrentProcess();
        await GatewayVsDirectTableAsync($"gateway hop: instant backend (in the bench process), {wav.Length} byte WAV inline ({(quick ? 1 : 3)} interleaved rounds)",
            direct, gateways, () => { self.Refresh(); return self.TotalProcessorTime.TotalSeconds; },
            client => RecognizeAsync(client, content, asr), quick ? 1 : 3, c => quick ? c * 20 : c == 1 ? 300 : c * 60);
        foreach (var process in started)
        {
            process.Dispose();
            processes.Remove(process);
        }
        channels.ForEach(c => c.Dispose());
    }

    private const string ParsingGatewayName = "gateway, before pass-through";

    /// <summary>
    /// The gateway as it was before the pass-through (issue 7): Recognize parsed and re-serialised, thread-pool workers
    /// spinning before they sleep (the runtime's default 70), the request's audio on the large object heap (default
    /// threshold 85,000 bytes). The environment overrides the gateway's runtimeconfig (hex values).
    /// </summary>
    private static Dictionary<string, string> ParsingGateway(string endpoint) => new()
    {
        ["Gateway__Endpoints__0"] = endpoint,
        ["Gateway__CallTimeout"] = "00:02:00",
        ["Gateway__RecognizePassThrough"] = "false",
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0x46",
        ["DOTNET_GCLOHThreshold"] = "0x14C08",
    };

    /// <summary>
    /// The gateway hop alone, for profiling: an <see cref="InstantSpeech"/> backend in this process, a gateway process in
    /// front of it (extra environment from <paramref name="gatewayEnvironment"/>, e.g. <c>DOTNET_PerfMapEnabled=1</c>),
    /// <paramref name="seconds"/> of Recognize calls at <paramref name="concurrency"/> after a warm-up (the backend answers
    /// after <paramref name="delayMs"/>, a stand-in for model time); prints the
    /// gateway's process id before the measured phase (attach <c>perf record -p</c> to it) and its CPU per call.
    /// </summary>
    public static async Task GatewayHopOnlyAsync(int seconds, int concurrency, int delayMs, IReadOnlyDictionary<string, string> gatewayEnvironment)
    {
        InstantSpeech.Delay = TimeSpan.FromMilliseconds(delayMs);
        var repository = Path.GetDirectoryName(FindUp("S3RouterServices.sln"))!;
        var root = Directory.CreateTempSubdirectory("s3r-bench-hop-");
        var processes = new List<BenchProcess>();
        try
        {
            Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average at start {LoadAverage()}; {Environment.ProcessorCount} cores");
            var wav = Synthesize(root.FullName);
            await using var instant = await S3Router.Testing.LoopbackService.StartAsync(
                [], _ => { }, app => app.MapGrpcService<InstantSpeech>(), CancellationToken.None);
            var settings = new Dictionary<string, string>(gatewayEnvironment) { ["Gateway__Endpoints__0"] = instant.Address };
            var gateway = Start(processes, repository, "Gateway", "gateway-hop", settings);
            await gateway.WaitReadyAsync();
            using var channel = GrpcChannel.ForAddress(gateway.Address);
            var client = new Speech.SpeechClient(channel);
            var content = ByteString.CopyFrom(wav);
            var asr = new RouteSelector { Task = "asr", LanguageCode = "en" };
            await LoadRunner.RunAsync(concurrency, delayMs > 0 ? concurrency * 20 : 1000, _ => RecognizeAsync(client, content, asr));
            Console.WriteLine($"gateway pid {gateway.ProcessId}; measuring {seconds} s at c{concurrency}, {wav.Length} byte WAV, backend delay {delayMs} ms");
            var cpuBefore = gateway.CpuSeconds();
            var wall = Stopwatch.StartNew();
            var calls = 0;
            var latencies = new List<LoadResult>();
            while (wall.Elapsed.TotalSeconds < seconds)
            {
                var result = await LoadRunner.RunAsync(concurrency, delayMs > 0 ? concurrency * 5 : concurrency * 50, _ => RecognizeAsync(client, content, asr));
                calls += result.Latencies.Length + result.Failed;
                latencies.Add(result);
            }

            var cpu = gateway.CpuSeconds() - cpuBefore;
            var merged = Merge(latencies);
            Console.WriteLine($"calls {calls} ({merged.Failed} failed) in {wall.Elapsed.TotalSeconds:F1} s; p50 {Ms(merged.P50)} ms, p99 {Ms(merged.P99)} ms; " +
                $"gateway CPU {cpu * 1000 / calls:F3} ms per call; load average at end {LoadAverage()}");
        }
        finally
        {
            foreach (var process in Enumerable.Reverse(processes))
            {
                process.Dispose();
            }

            root.Delete(recursive: true);
        }
    }

    /// <summary>Gateway vs direct with the real inference service (route asr/en) only: section 1 of the full run.</summary>
    private static async Task GatewayVsDirectAsync(
        List<BenchProcess> processes, string repository, string backboneDirectory, BenchProcess registry, List<MaskBundle> demo, byte[] wav, bool quick,
        bool withTieredJit, bool withParsingGateway)
    {
        var preload = new Dictionary<string, string>();
        for (var i = 0; i < demo.Count; i++)
        {
            preload[$"Inference__Preload__{i}"] = Name(demo[i]);
        }

        var inference = Start(processes, repository, "InferenceService", "inference", InferenceSettings(backboneDirectory, registry, preload));
        await inference.WaitReadyAsync();
        var gateway = Start(processes, repository, "Gateway", "gateway", new()
        {
            ["Gateway__Endpoints__0"] = inference.Address,
            ["Gateway__CallTimeout"] = "00:02:00",
        });
        await gateway.WaitReadyAsync();
        using var inferenceChannel = GrpcChannel.ForAddress(inference.Address);
        using var gatewayChannel = GrpcChannel.ForAddress(gateway.Address);
        var direct = new Speech.SpeechClient(inferenceChannel);
        var viaGateway = new Speech.SpeechClient(gatewayChannel);
        var content = ByteString.CopyFrom(wav);
        var asr = Selector(demo[0]);
        await LoadRunner.RunAsync(2, 20, _ => RecognizeAsync(direct, content, asr));
        await LoadRunner.RunAsync(2, 20, _ => RecognizeAsync(viaGateway, content, asr));
        var rounds = quick ? 1 : 3;
        var gateways = new List<(string, Speech.SpeechClient, Func<double>)> { ("gateway", viaGateway, gateway.CpuSeconds) };
        using var tieredChannel = withTieredJit ? await StartTieredGatewayAsync() : null;
        using var parsingChannel = withParsingGateway ? await StartParsingGatewayAsync() : null;
        await GatewayVsDirectTableAsync($"gateway vs direct (inference, route {Name(demo[0])}, {rounds} interleaved rounds)", direct,
            gateways, inference.CpuSeconds, client => RecognizeAsync(client, content, asr), rounds, c => quick ? c * 2 : c == 1 ? 30 : c * 4);

        async Task<GrpcChannel> StartTieredGatewayAsync()
        {
            // The gateway as it was before issue 7: tiered JIT on (the environment overrides its runtimeconfig).
            var tiered = Start(processes, repository, "Gateway", "gateway-tiered", new()
            {
                ["Gateway__Endpoints__0"] = inference.Address,
                ["Gateway__CallTimeout"] = "00:02:00",
                ["DOTNET_TieredCompilation"] = "1",
            });
            await tiered.WaitReadyAsync();
            var channel = GrpcChannel.ForAddress(tiered.Address);
            var client = new Speech.SpeechClient(channel);
            await LoadRunner.RunAsync(2, 20, _ => RecognizeAsync(client, content, asr));
            gateways.Add(("gateway, tiered JIT", client, tiered.CpuSeconds));
            return channel;
        }

        async Task<GrpcChannel> StartParsingGatewayAsync()
        {
            var parsing = Start(processes, repository, "Gateway", "gateway-parsing", ParsingGateway(inference.Address));
            await parsing.WaitReadyAsync();
            var channel = GrpcChannel.ForAddress(parsing.Address);
            var client = new Speech.SpeechClient(channel);
            await LoadRunner.RunAsync(2, 20, _ => RecognizeAsync(client, content, asr));
            gateways.Add((ParsingGatewayName, client, parsing.CpuSeconds));
            return channel;
        }
    }

    /// <summary>
    /// Runs <paramref name="call"/> direct and through each gateway at concurrency 1, 8, 32 (interleaved rounds) and
    /// prints one table. CPU per call is the process CPU time (user + system) used during a target's runs over its calls.
    /// </summary>
    private static async Task GatewayVsDirectTableAsync(
        string title, Speech.SpeechClient direct, IReadOnlyList<(string Name, Speech.SpeechClient Client, Func<double> Cpu)> gateways,
        Func<double> backendCpu, Func<Speech.SpeechClient, Task> call, int rounds, Func<int, int> calls)
    {
        Console.WriteLine();
        Console.WriteLine($"## {title}");
        var targets = new List<(string Name, Speech.SpeechClient Client, Func<double> Cpu)> { ("direct", direct, () => 0) };
        targets.AddRange(gateways);
        var table = new Dictionary<string, List<LoadResult>>();
        var cpu = new Dictionary<string, (double Gateway, double Backend, int Calls)>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var concurrency in Concurrencies)
            {
                foreach (var (target, client, gatewayCpu) in round % 2 == 0 ? targets : Enumerable.Reverse(targets))
                {
                    var (gatewayBefore, backendBefore) = (gatewayCpu(), backendCpu());
                    var result = await LoadRunner.RunAsync(concurrency, calls(concurrency), _ => call(client));
                    var key = $"{target} c{concurrency}";
                    var sum = cpu.GetValueOrDefault(key);
                    cpu[key] = (sum.Gateway + gatewayCpu() - gatewayBefore, sum.Backend + backendCpu() - backendBefore, sum.Calls + calls(concurrency));
                    Add(table, key, result);
                }
            }
        }

        Console.WriteLine("| concurrency | target | p50 / p99 ms | added p50 ms | req/s | throughput vs direct | gateway CPU ms per call | backend CPU ms per call |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var concurrency in Concurrencies)
        {
            var d = Merge(table[$"direct c{concurrency}"]);
            foreach (var (target, _, _) in targets)
            {
                var key = $"{target} c{concurrency}";
                var g = Merge(table[key]);
                var (gatewayCpu, backendCpu_, n) = cpu[key];
                var added = target == "direct" ? "–" : Ms(g.P50 - d.P50);
                var ratio = target == "direct" ? "–" : $"{g.Throughput / d.Throughput:F2}x";
                var gatewayMs = target == "direct" ? "–" : (gatewayCpu * 1000 / n).ToString("F2", CultureInfo.InvariantCulture);
                Console.WriteLine($"| {concurrency} | {target} | {Ms(g.P50)} / {Ms(g.P99)} | {added} | {g.Throughput:F1} | {ratio} | {gatewayMs} | {backendCpu_ * 1000 / n:F2} |");
            }
        }
    }

    private static async Task<MemoryFigures> MemoryAsync(
        List<BenchProcess> processes, string repository, string backboneDirectory, BenchProcess registry, LoadedBackbone loaded,
        List<MaskBundle> variants, List<long> packedBytes, ByteString content, string label, Dictionary<string, string> settings)
    {
        // The hot tier's own estimates (EncoderSessionFactory): the pinned unmasked encoder pays for the shared tensors,
        // a route for its masked tensors; both plus the session overhead. Room for 8 routes and a half.
        var overhead = EncoderSessionFactory.OverheadBytes(loaded.Config);
        var routeBytes = variants[0].Masks.Sum(m => m.ElementCount * sizeof(float)) + overhead;
        var hotBudget = loaded.EncoderBytes + overhead + (routeBytes * 8) + (routeBytes / 2);
        Console.WriteLine();
        Console.WriteLine($"## hot vs cold routes, resident memory, {label} (fresh inference process, hot budget {hotBudget / 1048576.0:F1} MiB = unmasked {(loaded.EncoderBytes + overhead) / 1048576.0:F1} MiB + 8 encoder sessions of {routeBytes / 1048576.0:F1} MiB)");
        var memory = Start(processes, repository, "InferenceService", "inference-memory", InferenceSettings(backboneDirectory, registry, new(settings)
        {
            ["Inference__MaskCacheBudgetBytes"] = hotBudget.ToString(CultureInfo.InvariantCulture),
        }));
        await memory.WaitReadyAsync();
        Console.WriteLine($"memory settings in effect: {await memory.MetricLineAsync("s3router_inference_memory_settings")}; malloc: {MallocOf(memory.ProcessId)}");
        using var memoryChannel = GrpcChannel.ForAddress(memory.Address);
        var memoryClient = new Speech.SpeechClient(memoryChannel);
        await Task.Delay(2000);
        var rss = new Dictionary<int, long> { [0] = memory.ResidentBytes() };
        var coldTier = new Dictionary<int, double> { [0] = await memory.MetricAsync("s3router_inference_cache_resident_bytes{tier=\"cold\"}") };
        var hotTier = new Dictionary<int, double> { [0] = await memory.MetricAsync("s3router_inference_cache_resident_bytes{tier=\"hot\"}") };
        var managed = new Dictionary<string, string> { ["0"] = await ManagedMemoryAsync(memory) };
        var sessions = new Dictionary<int, double> { [0] = await memory.MetricAsync("s3router_inference_onnx_sessions") };
        var committed = new Dictionary<int, double> { [0] = await memory.MetricAsync(GcCommitted) };
        var firstCall = new List<double>();
        var where = new Dictionary<int, NativeMemoryMap.Breakdown>();
        // The cold-route figure compares two points with the same hot tier: 64 routes and the first point from 8 routes on
        // where the tier is as full as it stays (no room for another route's session). Routes that share a session (the
        // unmasked speaker variants) would otherwise leave the 8-route point with fewer sessions than the 64-route one.
        var fullAt = 0;
        for (var i = 0; i < variants.Count; i++)
        {
            var settles = await memory.MetricAsync(SettleCount);
            var started = Stopwatch.GetTimestamp();
            await RecognizeAsync(memoryClient, content, Selector(variants[i]));
            firstCall.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            var full = fullAt == 0 && i + 1 >= 8
                && await memory.MetricAsync("s3router_inference_cache_resident_bytes{tier=\"hot\"}") + routeBytes > hotBudget;
            fullAt = full ? i + 1 : fullAt;
            // fullAt + WarmUpRoutes: the churn's marginal point, as the cold-only loads' (the paths warm, the tier full).
            // From 64 on, every power of two and the last: does each route churned for the first time keep costing as much?
            if (i + 1 is 1 or 8 or 64 || full || (fullAt > 0 && i + 1 == fullAt + WarmUpRoutes) || (i + 1 > 64 && ((i + 1) & i) == 0) || i + 1 == variants.Count)
            {
                await Task.Delay(2000);
                await SettledAsync(memory, settles);
                sessions[i + 1] = await memory.MetricAsync("s3router_inference_onnx_sessions");
                rss[i + 1] = memory.ResidentBytes();
                coldTier[i + 1] = await memory.MetricAsync("s3router_inference_cache_resident_bytes{tier=\"cold\"}");
                hotTier[i + 1] = await memory.MetricAsync("s3router_inference_cache_resident_bytes{tier=\"hot\"}");
                managed[$"{i + 1}"] = await ManagedMemoryAsync(memory);
                committed[i + 1] = await memory.MetricAsync(GcCommitted);
                await GcDumpAsync(memory, $"{label}-churn-{i + 1}");
                where[i + 1] = NativeMemoryMap.Read(memory.ProcessId);
            }
        }

        // 30 calls: the hot median compares settings side by side (ORT options, malloc), on a shared machine.
        var hot = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await RecognizeAsync(memoryClient, content, Selector(variants[^1]));
            hot.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        var rebuilt = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            // Evicted from the hot tier long ago; its bundle is still in the cold tier: only the session is rebuilt.
            var started = Stopwatch.GetTimestamp();
            await RecognizeAsync(memoryClient, content, Selector(variants[i]));
            rebuilt.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        // A second pass over all of them (each evicted and rebuilt again): does resident memory keep growing with churn?
        var settlesBefore = await memory.MetricAsync(SettleCount);
        foreach (var variant in variants)
        {
            await RecognizeAsync(memoryClient, content, Selector(variant));
        }

        await Task.Delay(2000);
        await SettledAsync(memory, settlesBefore);
        var rssSecondPass = memory.ResidentBytes();
        var committedSecondPass = await memory.MetricAsync(GcCommitted);
        var whereSecondPass = NativeMemoryMap.Read(memory.ProcessId);
        var last = variants.Count;
        managed[$"{last}, second pass"] = await ManagedMemoryAsync(memory);
        await GcDumpAsync(memory, $"{label}-churn-{last}-second-pass");
        var sessionsSecondPass = await memory.MetricAsync("s3router_inference_onnx_sessions");

        Console.WriteLine("| route state | latency median ms (min-max) | calls |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| hot (session ready) | {Ms(Median(hot))} ({Ms(hot.Min())}-{Ms(hot.Max())}) | {hot.Count} |");
        Console.WriteLine($"| cold: bundle cached, session evicted (build session) | {Ms(Median(rebuilt))} ({Ms(rebuilt.Min())}-{Ms(rebuilt.Max())}) | {rebuilt.Count} |");
        Console.WriteLine($"| never seen (resolve, download, verify, build session) | {Ms(Median(firstCall))} ({Ms(firstCall.Min())}-{Ms(firstCall.Max())}) | {firstCall.Count} |");
        Console.WriteLine();
        Console.WriteLine("| routes loaded | hot route sessions | RSS MiB | RSS growth vs 0 routes MiB | hot tier (cache's estimate) MiB | cold tier (cache's estimate) KiB |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (count, bytes) in rss.OrderBy(r => r.Key))
        {
            Console.WriteLine($"| {count} | {sessions[count] - 2} | {bytes / 1048576.0:F1} | {(bytes - rss[0]) / 1048576.0:F1} | {hotTier[count] / 1048576.0:F1} | {coldTier[count] / 1024:F0} |");
        }

        Console.WriteLine($"| {last}, after a second pass over all {last} (each session rebuilt again) | {sessionsSecondPass - 2} | {rssSecondPass / 1048576.0:F1} | {(rssSecondPass - rss[0]) / 1048576.0:F1} | | |");
        Console.WriteLine($"RSS growth of the second pass: {(rssSecondPass - rss[last]) / 1048576.0:F1} MiB; live ONNX sessions after it: {sessionsSecondPass} (frontend + unmasked + the hot routes')");
        Console.WriteLine();
        Console.WriteLine("| routes loaded | GC committed MiB | GC heap MiB | of which LOH MiB (free in it) | managed MiB allocated so far | RSS anon / file MiB |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (point, line) in managed)
        {
            Console.WriteLine($"| {point} | {line} |");
        }

        foreach (var (point, map) in where)
        {
            Console.WriteLine($"where the service's RSS sits at {point} routes: {NativeMemoryMap.Format(map)}");
        }

        PrintChurnGrowth(label, packedBytes, fullAt, rss, committed, where, (rssSecondPass, committedSecondPass, whereSecondPass));

        // Packed size of the routes loaded between the two points (the speaker variants are smaller than the others).
        var packedSpan = packedBytes.Take(64).Skip(fullAt).Average();
        var perCold = (rss[64] - rss[fullAt]) / (64.0 - fullAt);
        Console.WriteLine($"RSS per extra cold route (64 vs {fullAt} loaded, both with the hot tier full: {sessions[64] - 2} / {sessions[fullAt] - 2} route sessions, hot tier estimate {hotTier[64] / 1048576.0:F1} / {hotTier[fullAt] / 1048576.0:F1} MiB): {perCold / 1024:F0} KiB = {perCold / packedSpan:F2}x its packed size ({packedSpan / 1024:F0} KiB)");
        var perCold8 = (rss[64] - rss[8]) / 56.0;
        Console.WriteLine($"(64 vs 8 loaded, {sessions[64] - 2} vs {sessions[8] - 2} route sessions: {perCold8 / 1024:F0} KiB = {perCold8 / packedBytes.Take(64).Skip(8).Average():F2}x)");
        Console.WriteLine($"RSS per hot route (session) ({fullAt} vs 1 loaded): {(rss[fullAt] - rss[1]) / (sessions[fullAt] - sessions[1]) / 1048576.0:F1} MiB (the hot tier's estimate {routeBytes / 1048576.0:F1} MiB; hot tier's total estimate at {fullAt} routes {hotTier[fullAt] / 1048576.0:F1} MiB)");

        var settleCount = await memory.MetricAsync(SettleCount);
        var settleSum = await memory.MetricAsync("s3router_inference_memory_settle_seconds_sum");
        Console.WriteLine(double.IsNaN(settleCount)
            ? "memory settles: none (not in this build)"
            : $"memory settles: {settleCount} after bursts of loads, mean pause {settleSum / settleCount * 1000:F1} ms");
        memory.Dispose();
        processes.Remove(memory);

        // The same hot tier, then the other routes loaded cold only (no session built): what a cold route costs without
        // the native slack of the session builds and evictions that the figure above charges to it.
        var cold = await ColdOnlyAsync(processes, repository, backboneDirectory, registry, variants, packedBytes, content, label, settings, hotBudget, fullAt);
        var coldPacked = packedBytes.Take(64).Skip(fullAt).Average();
        var churnCommitted = (committed[64] - committed[fullAt]) / (64.0 - fullAt);
        Console.WriteLine();
        Console.WriteLine($"| per extra cold route, {label} ({64 - fullAt} routes beyond {fullAt}, hot tier full) | RSS KiB | RSS x packed | GC committed KiB | GC committed x packed | route sessions at {fullAt} / 64 |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Console.WriteLine($"| churn: each requested (fetched, session built), then evicted to the cold tier | {perCold / 1024:F0} | {perCold / coldPacked:F2} | {churnCommitted / 1024:F0} | {churnCommitted / coldPacked:F2} | {sessions[fullAt] - 2} / {sessions[64] - 2} |");
        var warm = fullAt + WarmUpRoutes;
        var churnMarginal = (rss[64] - rss[warm]) / (64.0 - warm);
        var churnMarginalCommitted = (committed[64] - committed[warm]) / (64.0 - warm);
        var warmPacked = packedBytes.Take(64).Skip(warm).Average();
        Console.WriteLine($"| churn, marginal: the last {64 - warm} after a warm-up of {WarmUpRoutes} churned routes | {churnMarginal / 1024:F0} | {churnMarginal / warmPacked:F2} | {churnMarginalCommitted / 1024:F0} | {churnMarginalCommitted / warmPacked:F2} | {sessions[warm] - 2} / {sessions[64] - 2} |");
        Console.WriteLine($"| cold-only: fetched on an alias event (Inference:PrefetchColdAliases), no session | {cold.RssRatio * coldPacked / 1024:F0} | {cold.RssRatio:F2} | {cold.CommittedRatio * coldPacked / 1024:F0} | {cold.CommittedRatio:F2} | {cold.Sessions} |");
        Console.WriteLine($"| cold-only, marginal: the last {cold.MarginalRoutes} after a warm-up of the prefetch path | {cold.MarginalRssRatio * coldPacked / 1024:F0} | {cold.MarginalRssRatio:F2} | {cold.MarginalCommittedRatio * coldPacked / 1024:F0} | {cold.MarginalCommittedRatio:F2} | {cold.Sessions} |");
        return new MemoryFigures(
            label, perCold / coldPacked, churnMarginal / warmPacked, churnCommitted / coldPacked, rss[fullAt], rss[64], rssSecondPass - rss[last], cold.MarginalRssRatio, (rss[fullAt] - rss[1]) / (sessions[fullAt] - sessions[1]),
            Median(hot), Median(rebuilt), Median(firstCall), LoadAverage());
    }

    // Between consecutive points from the full hot tier on, per route churned for the first time (requested, session built,
    // evicted; x the mean packed size of those routes): a bounded slack falls towards the cold route's own cost (~1x),
    // a cost per route stays. Then the second pass over the same routes: no new route, so a bounded slack adds nothing.
    private static void PrintChurnGrowth(
        string label, List<long> packedBytes, int fullAt, Dictionary<int, long> rss, Dictionary<int, double> committed, Dictionary<int, NativeMemoryMap.Breakdown> where,
        (long Rss, double Committed, NativeMemoryMap.Breakdown Where) secondPass)
    {
        static string Mib(double bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);
        static string Map(NativeMemoryMap.Breakdown b) => $"{Mib(b.Heap + b.Arenas)} / {Mib(b.OtherAnon)} / {Mib(b.File)}";
        Console.WriteLine();
        Console.WriteLine($"| churn growth, {label}: routes requested | RSS MiB | GC committed MiB | heap + arenas / other anon / file MiB | per extra route: RSS x packed | GC committed x packed | heap + arenas x packed | RSS growth MiB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var points = rss.Keys.Where(n => n >= fullAt && fullAt > 0).Order().ToList();
        for (var k = 0; k < points.Count; k++)
        {
            var n = points[k];
            var perRoute = "| |";
            var growth = "";
            if (k > 0)
            {
                var m = points[k - 1];
                var packed = (double)packedBytes.Skip(m).Take(n - m).Sum();
                perRoute = string.Create(CultureInfo.InvariantCulture,
                    $"{(rss[n] - rss[m]) / packed:F2} | {(committed[n] - committed[m]) / packed:F2} | {(where[n].Heap + where[n].Arenas - where[m].Heap - where[m].Arenas) / packed:F2}");
                growth = ((rss[n] - rss[m]) / 1048576.0).ToString("+0.0;-0.0", CultureInfo.InvariantCulture);
            }

            Console.WriteLine($"| {n} | {Mib(rss[n])} | {Mib(committed[n])} | {Map(where[n])} | {perRoute} | {growth} |");
        }

        var last = points[^1];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {last}, served again (second pass, no new route) | {Mib(secondPass.Rss)} | {Mib(secondPass.Committed)} | {Map(secondPass.Where)} | | | | {(secondPass.Rss - rss[last]) / 1048576.0:+0.0;-0.0} |"));
    }

    // The number of route variants (S3R_BENCH_MEMORY_ROUTES, default and least 64: the memory figures' 64-route point).
    private static int MemoryRoutes() =>
        Environment.GetEnvironmentVariable("S3R_BENCH_MEMORY_ROUTES") is { Length: > 0 } routes ? Math.Max(64, int.Parse(routes, CultureInfo.InvariantCulture)) : 64;

    private const string Jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
    private const string Tcmalloc = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";

    // The memory setups by name: a label and the settings (environment) of the inference process. The malloc setups
    // preload another allocator (Debian/Ubuntu packages libjemalloc2, libtcmalloc-minimal4; skipped when not installed).
    // ONNX Runtime's memory pattern off and a shared environment arena were measured on branch alloc, commit c616ab7
    // (bench/README.md, "Route churn: another malloc, ...").
    private static readonly Dictionary<string, (string Label, Dictionary<string, string> Settings)> MemorySetups = new()
    {
        ["shipped"] = ("defaults (as shipped)", []),
        ["workstation"] = ("workstation GC", new() { ["DOTNET_gcServer"] = "0" }),
        ["no-arena"] = ("route sessions without ORT CPU arena", new() { ["Inference__OnnxMemoryArena"] = "false" }),
        ["jemalloc"] = ("jemalloc (LD_PRELOAD), defaults", new() { ["LD_PRELOAD"] = Jemalloc }),
        ["jemalloc-decay"] = ("jemalloc, background_thread, decay 1 s",
            new() { ["LD_PRELOAD"] = Jemalloc, ["MALLOC_CONF"] = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0" }),
        ["jemalloc-nodecay"] = ("jemalloc, no decay (purge at once)",
            new() { ["LD_PRELOAD"] = Jemalloc, ["MALLOC_CONF"] = "dirty_decay_ms:0,muzzy_decay_ms:0" }),
        ["tcmalloc"] = ("tcmalloc-minimal (LD_PRELOAD), defaults", new() { ["LD_PRELOAD"] = Tcmalloc }),
        ["tcmalloc-release"] = ("tcmalloc-minimal, aggressive decommit, release rate 10",
            new() { ["LD_PRELOAD"] = Tcmalloc, ["TCMALLOC_AGGRESSIVE_DECOMMIT"] = "true", ["TCMALLOC_RELEASE_RATE"] = "10" }),
    };

    // Which allocator the process has mapped (a preloaded jemalloc or tcmalloc, else glibc's).
    private static string MallocOf(int processId)
    {
        var maps = File.ReadAllText($"/proc/{processId}/maps");
        return maps.Contains("libjemalloc", StringComparison.Ordinal) ? "jemalloc"
            : maps.Contains("libtcmalloc", StringComparison.Ordinal) ? "tcmalloc" : "glibc";
    }

    private sealed record MemoryFigures(
        string Label, double ChurnRssRatio, double ChurnMarginalRssRatio, double ChurnCommittedRatio, long RssFull, long Rss64, long SecondPass, double ColdMarginalRssRatio, double RssPerHotSession, double HotMedian, double RebuiltMedian,
        double NeverSeenMedian, string Load);

    private const string GcCommitted = "system_runtime_dotnet_gc_last_collection_memory_committed_size";

    private const int WarmUpRoutes = 5;

    private static int _coldRuns;

    // A fresh process with the same hot budget: the first fullAt routes requested (hot tier full), then the rest moved to
    // an alias this process prefetches cold (Inference:PrefetchColdAliases), so they are fetched and checked but never
    // built: first a few (their loads run the prefetch path's code for the first time: JIT, tiering, thread-pool
    // growth), then the others. Sampled after the settle at each point. Per route: over all cold-only routes, and the
    // marginal cost over the last batch (what one more cold route costs once the path is warm).
    private static async Task<ColdOnlyFigures> ColdOnlyAsync(
        List<BenchProcess> processes, string repository, string backboneDirectory, BenchProcess registry, List<MaskBundle> variants, List<long> packedBytes,
        ByteString content, string label, Dictionary<string, string> settings, long hotBudget, int fullAt)
    {
        var alias = $"cold{++_coldRuns}";
        var process = Start(processes, repository, "InferenceService", "inference-cold-only", InferenceSettings(backboneDirectory, registry, new(settings)
        {
            ["Inference__MaskCacheBudgetBytes"] = hotBudget.ToString(CultureInfo.InvariantCulture),
            ["Inference__PrefetchColdAliases__0"] = alias,
        }));
        await process.WaitReadyAsync();
        using var channel = GrpcChannel.ForAddress(process.Address);
        var client = new Speech.SpeechClient(channel);
        for (var i = 0; i < fullAt; i++)
        {
            await RecognizeAsync(client, content, Selector(variants[i]));
        }

        using var registryChannel = GrpcChannel.ForAddress(registry.Address);
        var registryClient = new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(registryChannel);
        const string Loaded = "s3router_inference_background_loads_total{trigger=\"prefetch\",tier=\"cold\",status=\"ok\"}";
        var cold = variants.Skip(fullAt).ToList();
        var batches = new[] { cold.Take(WarmUpRoutes).ToList(), cold.Skip(WarmUpRoutes).ToList() };
        var points = new List<ColdOnlyPoint> { await SampleAsync(process, $"{fullAt} requested", 0) };
        await GcDumpAsync(process, $"{label}-cold-{fullAt}");
        var loadedSoFar = 0;
        foreach (var batch in batches)
        {
            var started = Stopwatch.StartNew();
            foreach (var variant in batch)
            {
                await registryClient.SetAliasAsync(new SetAliasRequest { Task = variant.Task, LanguageCode = Language(variant), Alias = alias, Version = 1 });
            }

            loadedSoFar += batch.Count;
            while (await process.MetricAsync(Loaded) is var loaded && (double.IsNaN(loaded) || loaded < loadedSoFar) && started.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(100);
            }

            points.Add(await SampleAsync(process, $"+ {loadedSoFar} cold-only ({batch.Count} loaded in {started.Elapsed.TotalSeconds:F1} s)", loadedSoFar));
            await GcDumpAsync(process, $"{label}-cold-{fullAt}+{loadedSoFar}");
        }

        Console.WriteLine();
        Console.WriteLine($"### cold-only loads, {label} (fresh process, same hot budget; {fullAt} routes requested, then {cold.Count} moved to alias \"{alias}\" and prefetched cold: {await process.MetricAsync(Loaded)} loaded)");
        Console.WriteLine("| point | route sessions | RSS MiB | cold tier (cache's estimate) KiB | GC committed MiB | GC heap MiB | of which LOH MiB (free in it) | managed MiB allocated so far | RSS anon / file MiB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var point in points)
        {
            Console.WriteLine($"| {point.Name} | {point.Sessions - 2} | {point.Rss / 1048576.0:F1} | {point.ColdTier / 1024:F0} | {point.Managed} |");
        }

        process.Dispose();
        processes.Remove(process);
        var (hot, warm, all) = (points[0], points[1], points[^1]);
        // Packed bytes of the cold-only routes (variants fullAt..) and of the batch after the warm-up.
        double coldPacked = packedBytes.Skip(fullAt).Sum(), marginalPacked = packedBytes.Skip(fullAt + WarmUpRoutes).Sum();
        return new ColdOnlyFigures(
            (all.Rss - hot.Rss) / coldPacked, (all.Committed - hot.Committed) / coldPacked,
            (all.Rss - warm.Rss) / marginalPacked, (all.Committed - warm.Committed) / marginalPacked,
            batches[1].Count, $"{hot.Sessions - 2} / {all.Sessions - 2}");
    }

    // Diagnosis only: with S3R_BENCH_GCDUMP=DIR, a dotnet-gcdump of the process at each memory point (the dump runs a
    // full GC in the process, so the figures after it are not those of an undisturbed run). S3R_BENCH_GCDUMP_TOOL: the tool.
    private static async Task GcDumpAsync(BenchProcess process, string name)
    {
        var directory = Environment.GetEnvironmentVariable("S3R_BENCH_GCDUMP");
        if (string.IsNullOrEmpty(directory))
        {
            return;
        }

        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '+' ? c : '_')) + ".gcdump");
        using var tool = Process.Start(new ProcessStartInfo(Environment.GetEnvironmentVariable("S3R_BENCH_GCDUMP_TOOL") ?? "dotnet-gcdump")
        {
            ArgumentList = { "collect", "-p", process.ProcessId.ToString(CultureInfo.InvariantCulture), "-o", file },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await tool.WaitForExitAsync();
        Console.WriteLine($"gcdump {file}: exit {tool.ExitCode}");
    }

    private static async Task<ColdOnlyPoint> SampleAsync(BenchProcess process, string name, int coldLoads)
    {
        // A settle after the last load, not one that ran between two loads (a slow call leaves 1 s of quiet).
        var settles = await process.MetricAsync(SettleCount);
        await Task.Delay(2000);
        await SettledAsync(process, settles);
        return new ColdOnlyPoint(
            name, process.ResidentBytes(), await process.MetricAsync(GcCommitted), await process.MetricAsync("s3router_inference_onnx_sessions"),
            coldLoads == 0 ? 0 : await process.MetricAsync("s3router_inference_cache_resident_bytes{tier=\"cold\"}"), await ManagedMemoryAsync(process));
    }

    private sealed record ColdOnlyPoint(string Name, long Rss, double Committed, double Sessions, double ColdTier, string Managed);

    // Growth per byte of packed bundle: over every cold-only route, and over the batch after the warm-up.
    private sealed record ColdOnlyFigures(double RssRatio, double CommittedRatio, double MarginalRssRatio, double MarginalCommittedRatio, int MarginalRoutes, string Sessions);

    private const string SettleCount = "s3router_inference_memory_settle_seconds_count";

    // Samples are taken once the service settled after the loads (its settle runs 1 s after the last load, at most one
    // per 10 s): up to 15 s more. A service without settles (the metric is absent) is sampled at once.
    private static async Task SettledAsync(BenchProcess process, double before)
    {
        var waited = Stopwatch.StartNew();
        while (await process.MetricAsync(SettleCount) is var now && !double.IsNaN(now) && now <= before && waited.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(250);
        }
    }

    // The service's GC figures after its last collection (System.Runtime meter) and its anonymous vs file-backed RSS.
    private static async Task<string> ManagedMemoryAsync(BenchProcess process)
    {
        const string Gc = "system_runtime_dotnet_gc_last_collection_";
        double Mib(double bytes) => bytes / 1048576.0;
        var generations = new[] { "gen0", "gen1", "gen2", "loh", "poh" };
        double heap = 0;
        foreach (var generation in generations)
        {
            heap += await process.MetricAsync($"{Gc}heap_size{{gc_heap_generation=\"{generation}\"}}");
        }

        var loh = await process.MetricAsync($"{Gc}heap_size{{gc_heap_generation=\"loh\"}}");
        var lohFree = await process.MetricAsync($"{Gc}heap_fragmentation_size{{gc_heap_generation=\"loh\"}}");
        var committed = await process.MetricAsync($"{Gc}memory_committed_size");
        var allocated = await process.MetricAsync("system_runtime_dotnet_gc_heap_total_allocated");
        var (anon, file) = process.ResidentAnonAndFile();
        return string.Create(CultureInfo.InvariantCulture,
            $"{Mib(committed):F1} | {Mib(heap):F1} | {Mib(loh):F1} ({Mib(lohFree):F1}) | {Mib(allocated):F0} | {Mib(anon):F1} / {Mib(file):F1}");
    }

    private static (double BytesPerRoute, double Ratio) ColdRouteFootprint(IReadOnlyList<MaskBundle> variants, LoadedBackbone backbone)
    {
        var files = variants.Select(v => v.ToBytes()).ToList();
        var versions = files.Select((bytes, i) => new MaskVersion
        {
            Task = variants[i].Task,
            LanguageCode = variants[i].Language,
            Version = 1,
            Digest = "sha256:" + Sha256Digest.Of(bytes),
        }).ToList();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var models = files.Select((bytes, i) => RouteModel.Create(versions[i], (byte[])bytes.Clone(), backbone)).ToList();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(models);
        var perRoute = (after - before) / (double)models.Count;
        return (perRoute, perRoute / files.Average(f => f.LongLength));
    }

    private static async Task<(int Interims, double Seconds)> StreamAsync(Speech.SpeechClient client, byte[] linear16, RouteSelector route)
    {
        var started = Stopwatch.GetTimestamp();
        using var call = client.StreamingRecognize();
        await call.RequestStream.WriteAsync(new StreamingRecognizeRequest
        {
            StreamingConfig = new StreamingRecognitionConfig
            {
                Task = route.Task,
                LanguageCode = route.LanguageCode,
                Config = new RecognitionConfig { Encoding = Api.V1.AudioEncoding.Linear16, SampleRateHertz = 16000 },
                InterimResults = true,
                InterimInterval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMilliseconds(500)),
            },
        });
        var reading = Task.Run(async () =>
        {
            var count = 0;
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                count += call.ResponseStream.Current.IsFinal ? 0 : 1;
            }

            return count;
        });
        for (var offset = 0; offset < linear16.Length; offset += 3200)
        {
            await call.RequestStream.WriteAsync(new StreamingRecognizeRequest
            {
                AudioContent = ByteString.CopyFrom(linear16, offset, Math.Min(3200, linear16.Length - offset)),
            });
        }

        await call.RequestStream.CompleteAsync();
        var interims = await reading;
        return (interims, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    // The utterance repeated with 0.3 s of silence between, cut to the length, as 16-bit little-endian PCM.
    private static byte[] Linear16(float[] utterance, int seconds) => Linear16Samples(utterance, seconds * 16000);

    // The same, cut to a number of samples at 16 kHz.
    private static byte[] Linear16Samples(float[] utterance, int count)
    {
        var samples = new float[count];
        var period = utterance.Length + 4800;
        for (var i = 0; i < samples.Length; i++)
        {
            var j = i % period;
            samples[i] = j < utterance.Length ? utterance[j] : 0f;
        }

        var bytes = new byte[samples.Length * 2];
        for (var i = 0; i < samples.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), (short)Math.Clamp(samples[i] * 32767f, -32768f, 32767f));
        }

        return bytes;
    }

    private static Task RecognizeAsync(Speech.SpeechClient client, ByteString content, RouteSelector route, IEnumerable<RouteSelector>? more = null)
    {
        var request = new RecognizeRequest
        {
            Task = route.Task,
            LanguageCode = route.LanguageCode,
            Audio = new RecognitionAudio { Content = content },
        };
        if (more is not null)
        {
            request.AdditionalRoutes.AddRange(more);
        }

        return client.RecognizeAsync(request, deadline: DateTime.UtcNow.AddMinutes(2)).ResponseAsync;
    }

    private static Dictionary<string, string> InferenceSettings(string backbone, BenchProcess registry, Dictionary<string, string> more)
    {
        var settings = new Dictionary<string, string>
        {
            ["Inference__BackboneDirectory"] = backbone,
            ["Inference__RegistryAddress"] = registry.Address,
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    internal static async Task<(Wav2Vec2Config Config, string Hex)> RegisterBackboneAsync(BenchProcess registry, string directory)
    {
        var config = await Wav2Vec2ConfigJson.LoadAsync(Path.Combine(directory, Wav2Vec2ConfigJson.FileName));
        var weightsPath = Path.Combine(directory, "model.safetensors");
        var hex = Sha256Digest.OfFile(weightsPath);
        using var file = SafetensorsFile.Open(weightsPath);
        var request = new RegisterBackboneRequest { Digest = "sha256:" + hex, Name = "tiny-ssl", ConfigJson = Wav2Vec2ConfigJson.Serialize(config) };
        request.Tensors.AddRange(file.Tensors.Values.Select(t => new TensorShape { Name = t.Name, Dims = { t.Shape } }));
        using var channel = GrpcChannel.ForAddress(registry.Address);
        await new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(channel).RegisterBackboneAsync(request);
        return (config, hex);
    }

    internal static async Task PublishAsync(S3Router.Api.V1.MaskRegistry.MaskRegistryClient registry, MaskBundle bundle)
    {
        using var call = registry.PublishMask();
        await call.RequestStream.WriteAsync(new PublishMaskRequest
        {
            Metadata = new PublishMaskMetadata { Task = bundle.Task, LanguageCode = Language(bundle), SetAlias = "production" },
        });
        await call.RequestStream.WriteAsync(new PublishMaskRequest { Chunk = ByteString.CopyFrom(bundle.ToBytes()) });
        await call.RequestStream.CompleteAsync();
        await call;
    }

    private static BenchProcess Start(List<BenchProcess> processes, string repository, string project, string name, Dictionary<string, string> settings)
    {
        var process = BenchProcess.Start(repository, project, name, settings);
        processes.Add(process);
        return process;
    }

    private static byte[] Synthesize(string directory)
    {
        var path = Path.Combine(directory, "utterance.wav");
        using var espeak = Process.Start(new ProcessStartInfo("espeak-ng", ["-v", "en-us+f3", "-s", "150", "-w", path, Utterance])
            ?? throw new InvalidOperationException("espeak-ng did not start."))!;
        espeak.WaitForExit();
        return espeak.ExitCode == 0 ? File.ReadAllBytes(path) : throw new InvalidOperationException("espeak-ng failed.");
    }

    private static string Language(MaskBundle bundle) => bundle.Language.Length == 0 ? "und" : bundle.Language;

    private static string Name(MaskBundle bundle) => $"{bundle.Task}/{Language(bundle)}";

    private static RouteSelector Selector(MaskBundle bundle) => new() { Task = bundle.Task, LanguageCode = Language(bundle) };

    private static int Failed { get; set; }

    private static void Add(Dictionary<string, List<LoadResult>> table, string key, LoadResult result)
    {
        Failed += result.Failed;
        if (!table.TryGetValue(key, out var list))
        {
            table[key] = list = [];
        }

        list.Add(result);
    }

    // Latencies of all rounds together; throughput as the median of the rounds.
    private static LoadResult Merge(List<LoadResult> results) =>
        new([.. results.SelectMany(r => r.Latencies).Order()], Median(results.Select(r => r.Throughput).ToList()), results.Sum(r => r.Failed));

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Ms(double seconds) => (seconds * 1000).ToString("F1", CultureInfo.InvariantCulture);

    private static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static string FindUp(string file)
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, file);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"Run from inside the repository: no {file} above {Directory.GetCurrentDirectory()}.");
    }
}
