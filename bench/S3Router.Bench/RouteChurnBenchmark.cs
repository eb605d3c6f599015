using S3Router.Core.Hosting;
using System.Diagnostics;
using System.Globalization;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Batching;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;

namespace S3Router.Bench;

/// <summary>
/// Route churn in process, without gRPC: the 64 route variants of the serving benchmark go through a hot tier of
/// <c>hot</c> encoder sessions (the service's <see cref="BudgetedLruCache{TKey, TValue}"/> and engines), each used for
/// one forward pass, for several passes. Per pass: RSS, the managed heap, glibc's heap (mallinfo2) and the hot tier's
/// count, so a leak (live sessions) and retention (freed memory the allocator keeps) can be told apart. Settled points
/// (pools dropped with <c>--release-pools</c>, a blocking LOH-compacting full GC, a trim with <c>--trim</c>: the
/// service's memory settle) after the first <c>hot</c> routes, at every power of two from 64 distinct routes served in
/// pass 1 and after every later pass (the same routes served again): whether what churn leaves on top of the cold
/// routes is a bounded slack or a cost per route.
/// </summary>
internal static class RouteChurnBenchmark
{
    public static async Task RunAsync(int routes, int hot, int passes, bool native, bool trim, bool releasePools)
    {
        var applied = native && GlibcHeap.ReturnFreedMemory();
        var repository = Path.GetDirectoryName(FindUp("S3RouterServices.sln"))!;
        var backboneDirectory = Path.Combine(repository, "models", "tiny-ssl");
        var (config, raw) = await BackboneCheckpoint.LoadAsync(backboneDirectory);
        var weights = Wav2Vec2Weights.Normalize(raw);
        var digest = Sha256Digest.OfFile(Path.Combine(backboneDirectory, BackboneCheckpoint.WeightsFileName));
        var backbone = new LoadedBackbone(config, weights, digest);
        var demo = Directory.GetFiles(Path.Combine(backboneDirectory, "routes"), "*.safetensors").Order(StringComparer.Ordinal)
            .Select(path => MaskBundle.Read(path)).ToList();
        var liveBefore = Live();
        var models = Enumerable.Range(0, routes).Select(i =>
        {
            var bytes = RouteVariants.Variant(demo[i % demo.Count], $"{demo[i % demo.Count].Task}_b{i:00}", seed: 1000 + i).ToBytes();
            var version = new MaskVersion { Task = $"r{i}", LanguageCode = "en", Version = 1, Digest = "sha256:" + Sha256Digest.Of(bytes) };
            return RouteModel.Create(version, bytes, backbone);
        }).ToList();
        var liveCold = Live();
        var packed = models.Average(m => (double)m.Bytes);

        var engineOptions = new OnnxEngineOptions { IntraOpThreads = 2 };
        var frames = new float[120, config.HiddenSize]; // 2.4 s of frontend frames
        var random = new Random(7);
        for (var t = 0; t < frames.GetLength(0); t++)
        {
            for (var h = 0; h < frames.GetLength(1); h++)
            {
                frames[t, h] = (float)random.NextDouble() - 0.5f;
            }
        }

        // Sessions as the service builds them (shared unmasked tensors, pooled build buffers); the tier holds `hot` of them.
        using var factory = new EncoderSessionFactory(config, weights, engineOptions);
        var routeBytes = models[0].Bundle.Masks.Sum(m => m.ElementCount * sizeof(float)) + factory.SessionOverheadBytes;
        using var unmasked = factory.Create(null).Session; // holds the shared pre-packed tensors, as the service's pinned base session
        Console.WriteLine($"route churn: {routes} routes, hot tier of {hot} encoder sessions ({routeBytes / 1048576.0:F1} MiB estimate each), {passes} passes; " +
            $"GC server={System.Runtime.GCSettings.IsServerGC}; build pools released before each measurement {releasePools}; fixed mmap threshold {applied}; trim after evictions {trim}; MALLOC_ARENA_MAX={Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") ?? "-"}; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| pass | RSS MiB | GC heap MiB | GC committed MiB | malloc in use MiB | malloc free (kept) MiB | malloc mmapped MiB | hot sessions | live ORT sessions | managed MiB allocated per build | pass s | hot run ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        var time = TimeProvider.System;
        using var gate = new SemaphoreSlim(1, 1);
        using var cache = new BudgetedLruCache<string, RouteEngine>(((hot + 1) * routeBytes) - 1, "hot");
        var allocated = GC.GetTotalAllocatedBytes();
        Print("start", cache, 0, 0, 0);
        // Live managed bytes after a blocking, LOH-compacting full GC: what the objects reachable now hold, without
        // free space or GC budgets. Cold only = the routes built from their bytes, no session yet.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"live managed per cold-only route: {(liveCold.Live - liveBefore.Live) / (double)routes / 1024:F0} KiB = {(liveCold.Live - liveBefore.Live) / (double)routes / packed:F2}x packed ({packed / 1024:F0} KiB)"));
        var liveRows = new List<string> { LiveRow("routes built (cold only)", liveCold, factory, liveCold) };
        (long Live, GCMemoryInfo Gc) liveFull = default;
        var points = new List<ChurnPoint>();
        ChurnPoint Settled(string name, int served, (long Live, GCMemoryInfo Gc) live)
        {
            if (trim)
            {
                GlibcHeap.Trim();
            }

            return new ChurnPoint(name, served, ProcessMemory.Rss(), live.Gc.TotalCommittedBytes, live.Live, NativeMemoryMap.Read());
        }

        for (var pass = 1; pass <= passes; pass++)
        {
            var started = Stopwatch.GetTimestamp();
            var evictions = cache.Evictions;
            foreach (var (model, served) in models.Select((m, i) => (m, i + 1)))
            {
                using var lease = await cache.AcquireAsync(model.MaskKey, () =>
                {
                    var (encoder, bytes) = factory.Create(model.Bundle.Masks);
                    var batcher = new MicroBatcher<float[,], float[,]>(batch => encoder.Run([.. batch]), 8, TimeSpan.Zero, 64, time, null, gate);
                    return Task.FromResult((RouteEngine.Encoder(encoder, batcher, model.MaskKey), bytes));
                }, CancellationToken.None);
                await lease.Value.RunEncoderAsync(frames, CancellationToken.None);
                if (trim && cache.Evictions != evictions)
                {
                    evictions = cache.Evictions;
                    GlibcHeap.Trim();
                }

                if (pass == 1 && served != hot && served != routes && served >= 64 && (served & (served - 1)) == 0)
                {
                    if (releasePools)
                    {
                        factory.ReleasePooled();
                    }

                    points.Add(Settled($"1, first {served} served", served, Live()));
                }

                if (pass == 1 && served == hot)
                {
                    Print($"1, first {hot} (all hot)", cache, 0, 0, 0); // the serving benchmark's "8 routes" point
                    if (releasePools)
                    {
                        factory.ReleasePooled();
                    }

                    liveFull = Live();
                    // Variants of the unmasked demo route share its session: the tier may not be full yet here.
                    liveRows.Add(LiveRow($"1, first {hot} served ({cache.Count} hot sessions)", liveFull, factory, liveCold));
                    points.Add(Settled($"1, first {hot} served ({cache.Count} hot sessions)", hot, liveFull));
                }
            }

            var passSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            // The last route is hot now: its forward pass alone.
            using var last = await cache.AcquireAsync(models[^1].MaskKey, () => throw new InvalidOperationException("evicted"), CancellationToken.None);
            var runs = new List<double>();
            for (var i = 0; i < 10; i++)
            {
                var runStarted = Stopwatch.GetTimestamp();
                await last.Value.RunEncoderAsync(frames, CancellationToken.None);
                runs.Add(Stopwatch.GetElapsedTime(runStarted).TotalMilliseconds);
            }

            var perBuild = (GC.GetTotalAllocatedBytes() - allocated) / (double)models.Count;
            allocated = GC.GetTotalAllocatedBytes();
            Print(pass.ToString(CultureInfo.InvariantCulture), cache, perBuild, passSeconds, runs.Order().ElementAt(runs.Count / 2));
            if (releasePools)
            {
                factory.ReleasePooled(); // as the service's memory settle does after a burst of builds
            }

            var live = Live();
            liveRows.Add(LiveRow($"{pass}, all {routes} served", live, factory, liveCold));
            points.Add(Settled(pass == 1 ? $"1, all {routes} served" : $"{pass}, all {routes} served again", routes, live));
            if (pass == 1)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"live managed per churned route (pass 1, {routes - hot} routes served and evicted): {(live.Live - liveFull.Live) / (double)(routes - hot) / 1024:F1} KiB = {(live.Live - liveFull.Live) / (double)(routes - hot) / packed:F3}x packed"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("| point (after a blocking LOH-compacting full GC) | live managed MiB | vs cold-only MiB | build pools MiB | GC committed MiB | fragmentation gen0/1/2/LOH/POH MiB | LOH / POH size MiB | RSS MiB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        liveRows.ForEach(Console.WriteLine);
        PrintGrowth(points, packed);
        GC.KeepAlive(models);
    }

    private sealed record ChurnPoint(string Name, int Served, long Rss, long Committed, long Live, NativeMemoryMap.Breakdown Map);

    // Per extra route between consecutive points while new routes are churned (x the mean packed size); in MiB for the
    // passes that serve the same routes again (no new route: a bounded slack adds nothing there).
    private static void PrintGrowth(List<ChurnPoint> points, double packed)
    {
        Console.WriteLine();
        Console.WriteLine("| settled point | distinct routes served | RSS MiB | GC committed MiB | live managed MiB | heap + arenas / other anon / file MiB | RSS growth per extra route x packed | GC committed per extra route x packed | live per extra route x packed | RSS growth MiB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        ChurnPoint? previous = null;
        foreach (var point in points)
        {
            var map = point.Map;
            var where = $"{Mib(map.Heap + map.Arenas)} / {Mib(map.OtherAnon)} / {Mib(map.File)}";
            var perRoute = previous is { } p && point.Served > p.Served
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{(point.Rss - p.Rss) / (double)(point.Served - p.Served) / packed:F2} | {(point.Committed - p.Committed) / (double)(point.Served - p.Served) / packed:F2} | {(point.Live - p.Live) / (double)(point.Served - p.Served) / packed:F2}")
                : "| |";
            var growth = previous is { } q ? ((point.Rss - q.Rss) / 1048576.0).ToString("+0.0;-0.0", CultureInfo.InvariantCulture) : "";
            Console.WriteLine($"| {point.Name} | {point.Served} | {Mib(point.Rss)} | {Mib(point.Committed)} | {Mib(point.Live)} | {where} | {perRoute} | {growth} |");
            previous = point;
        }
    }

    private static (long Live, GCMemoryInfo Gc) Live()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return (GC.GetTotalMemory(false), GC.GetGCMemoryInfo(GCKind.FullBlocking));
    }

    private static string LiveRow(string point, (long Live, GCMemoryInfo Gc) live, EncoderSessionFactory factory, (long Live, GCMemoryInfo Gc) cold)
    {
        var g = live.Gc.GenerationInfo;
        var parts = new List<string>();
        foreach (var generation in g)
        {
            parts.Add(Mib(generation.FragmentationAfterBytes));
        }

        var fragmentation = string.Join(" / ", parts);
        return string.Create(CultureInfo.InvariantCulture,
            $"| {point} | {Mib(live.Live)} | {Mib(live.Live - cold.Live)} | {Mib(factory.PooledBytes)} | {Mib(live.Gc.TotalCommittedBytes)} | {fragmentation} | {Mib(g[3].SizeAfterBytes)} / {Mib(g[4].SizeAfterBytes)} | {Mib(ProcessMemory.Rss())} |");
    }

    private static void Print(string pass, BudgetedLruCache<string, RouteEngine> cache, double allocatedPerBuild, double passSeconds, double hotMs)
    {
        var gc = GC.GetGCMemoryInfo();
        var malloc = ProcessMemory.Malloc();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {pass} | {Mib(ProcessMemory.Rss())} | {Mib(gc.HeapSizeBytes)} | {Mib(gc.TotalCommittedBytes)} | {Mib(malloc.InUse)} | {Mib(malloc.Free)} | {Mib(malloc.Mmapped)} | {cache.Count} | {OnnxSessions.LiveSessions} | {Mib((long)allocatedPerBuild)} | {passSeconds:F1} | {hotMs:F1} |"));
        Console.WriteLine("|   | where: " + NativeMemoryMap.Format(NativeMemoryMap.Read()) + " |");
    }

    private static string FindUp(string file)
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, file)))
            {
                return Path.Combine(directory.FullName, file);
            }
        }

        throw new FileNotFoundException($"Run from inside the repository: no {file} above {Directory.GetCurrentDirectory()}.");
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);
}
