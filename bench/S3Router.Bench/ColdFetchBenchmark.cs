using System.Diagnostics.Tracing;
using System.Globalization;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.InferenceService;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;

namespace S3Router.Bench;

/// <summary>
/// The cold tier's fetch path alone, in process: a registry process holds the serving benchmark's 64 route variants;
/// this process downloads each through the service's <see cref="MaskRegistrySource"/> and builds its
/// <see cref="RouteModel"/> (what <c>RouteManager</c> does on a cold miss), keeping every model as the cold tier does.
/// No ONNX session is built, so what grows is the fetch path's. Per phase: managed bytes allocated per fetch (all
/// threads), large-object-heap allocations by type (GC allocation ticks), and after the fetches RSS, GC heap, GC
/// committed and LOH free space against the packed bytes held.
/// </summary>
internal static class ColdFetchBenchmark
{
    public static async Task RunAsync(int routes)
    {
        var repository = Path.GetDirectoryName(FindUp("S3RouterServices.sln"))!;
        var backboneDirectory = Path.Combine(repository, "models", "tiny-ssl");
        var root = Directory.CreateTempSubdirectory("s3r-bench-cold-fetch-");
        using var registry = BenchProcess.Start(repository, "MaskRegistry", "registry", new Dictionary<string, string>
        {
            ["MaskRegistry__DataDirectory"] = Path.Combine(root.FullName, "registry"),
        });
        try
        {
            await registry.WaitReadyAsync();
            var (config, hex) = await ServingBenchmark.RegisterBackboneAsync(registry, backboneDirectory);
            var demo = Directory.GetFiles(Path.Combine(backboneDirectory, "routes"), "*.safetensors").Order(StringComparer.Ordinal)
                .Select(path => MaskBundle.Read(path)).ToList();
            var variants = Enumerable.Range(0, routes)
                .Select(i => RouteVariants.Variant(demo[i % demo.Count], $"{demo[i % demo.Count].Task}_b{i:00}", seed: 1000 + i)).ToList();
            using var channel = GrpcChannel.ForAddress(registry.Address);
            var client = new Api.V1.MaskRegistry.MaskRegistryClient(channel);
            foreach (var bundle in variants)
            {
                await ServingBenchmark.PublishAsync(client, bundle);
            }

            var (_, raw) = await BackboneCheckpoint.LoadAsync(backboneDirectory);
            var backbone = new LoadedBackbone(config, Wav2Vec2Weights.Normalize(raw), hex);
            var source = new MaskRegistrySource(channel.CreateCallInvoker(), Options.Create(new InferenceOptions()));
            var versions = new List<MaskVersion>();
            foreach (var bundle in variants)
            {
                var language = bundle.Language.Length == 0 ? "und" : bundle.Language;
                versions.Add(await source.ResolveAsync(bundle.Task, language, "", CancellationToken.None));
            }

            // One warm-up fetch (JIT, the channel's connection, pools), not kept.
            GC.KeepAlive(RouteModel.Create(versions[0], await source.DownloadAsync(versions[0], CancellationToken.None), backbone));
            using var ticks = new LohTicks();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            var models = new List<RouteModel>();
            var start = Snapshot();
            long downloadBytes = 0, createBytes = 0;
            Console.WriteLine($"cold fetch: {routes} routes, GC server={System.Runtime.GCSettings.IsServerGC}, conserve memory={AppContext.GetData("System.GC.ConserveMemory") ?? "-"}, load {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine("| routes held | packed MiB held | RSS growth MiB | GC heap growth MiB | GC committed growth MiB | LOH MiB (free in it) | malloc in use growth MiB |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var version in versions)
            {
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var bytes = await source.DownloadAsync(version, CancellationToken.None);
                var downloaded = GC.GetTotalAllocatedBytes(precise: true);
                models.Add(RouteModel.Create(version, bytes, backbone));
                createBytes += GC.GetTotalAllocatedBytes(precise: true) - downloaded;
                downloadBytes += downloaded - allocated;
                if (models.Count is 1 or 8 or 16 or 32 or 64 || models.Count == routes)
                {
                    Print(models, start);
                }
            }

            var packed = models.Average(m => (double)m.Bytes);
            Console.WriteLine($"packed {packed / 1024:F0} KiB per route on average; managed bytes allocated per fetch: download {downloadBytes / (double)routes / 1024:F0} KiB, RouteModel.Create {createBytes / (double)routes / 1024:F0} KiB");
            await Task.Delay(500); // the runtime's events arrive on their own thread
            Console.WriteLine($"large-object allocations per fetch (GC allocation ticks, ~100 KB granularity): {ticks.Describe(routes)}");
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            Console.Write("after a compacting full GC: ");
            Print(models, start);
            GC.KeepAlive(models);
        }
        finally
        {
            try
            {
                root.Delete(recursive: true);
            }
            catch (IOException)
            {
                // the registry may still hold its files for a moment
            }
        }
    }

    private static (long Rss, long Heap, long Committed, long MallocInUse) Snapshot()
    {
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        return (ProcessMemory.Rss(), gc.HeapSizeBytes, gc.TotalCommittedBytes, ProcessMemory.Malloc().InUse);
    }

    private static void Print(List<RouteModel> models, (long Rss, long Heap, long Committed, long MallocInUse) start)
    {
        var now = Snapshot();
        var loh = GC.GetGCMemoryInfo(GCKind.Any).GenerationInfo[3];
        var packed = models.Sum(m => m.Bytes);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {models.Count} | {Mib(packed)} | {Mib(now.Rss - start.Rss)} ({(now.Rss - start.Rss) / (double)packed:F2}x) | {Mib(now.Heap - start.Heap)} ({(now.Heap - start.Heap) / (double)packed:F2}x) | {Mib(now.Committed - start.Committed)} | {Mib(loh.SizeAfterBytes)} ({Mib(loh.FragmentationAfterBytes)}) | {Mib(now.MallocInUse - start.MallocInUse)} |"));
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);

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

    /// <summary>The runtime's GC allocation ticks of large objects, summed by type: which allocations land on the LOH.</summary>
    private sealed class LohTicks : EventListener
    {
        private readonly Dictionary<string, long> _bytes = [];
        private readonly Lock _lock = new();

        public string Describe(int fetches)
        {
            lock (_lock)
            {
                return _bytes.Count == 0
                    ? "none"
                    : string.Join(", ", _bytes.OrderByDescending(b => b.Value).Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Key} {b.Value / (double)fetches / 1024:F0} KiB")));
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: allocation ticks are verbose
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null)
            {
                return;
            }

            var kind = Convert.ToInt32(e.Payload![e.PayloadNames.IndexOf("AllocationKind")], CultureInfo.InvariantCulture);
            if (kind != 1)
            {
                return; // 0 small, 1 large, 2 pinned
            }

            var amount = Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("AllocationAmount64")], CultureInfo.InvariantCulture);
            var type = e.Payload[e.PayloadNames.IndexOf("TypeName")] as string ?? "?";
            lock (_lock)
            {
                _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
            }
        }
    }
}
