using System.Globalization;
using System.Runtime.InteropServices;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;

namespace S3Router.Bench;

internal static class SessionCostExperiment
{
    public static async Task RunAsync(int count)
    {
        S3Router.Core.Hosting.GlibcHeap.ReturnFreedMemory();
        var backboneDirectory = Path.Combine(Directory.GetCurrentDirectory(), "models", "tiny-ssl");
        var (config, raw) = await BackboneCheckpoint.LoadAsync(backboneDirectory);
        var weights = Wav2Vec2Weights.Normalize(raw);
        var backbone = new LoadedBackbone(config, weights, "x");
        var demo = MaskBundle.Read(Path.Combine(backboneDirectory, "routes", "asr-en.safetensors"));
        var bundles = Enumerable.Range(0, count + 1).Select(i => RouteVariants.Variant(demo, $"asr_b{i:00}", seed: 1000 + i)).ToList();
        var masks = bundles.Select(b => b.Masks
            .ToDictionary(m => Wav2Vec2Weights.CanonicalName(m.Name), m => m.Unpack(), StringComparer.Ordinal)).ToList();
        var useFactory = Environment.GetEnvironmentVariable("S3R_EXP_FACTORY") == "1";
        var frames = new float[120, config.HiddenSize];
        var sessions = new List<OnnxEncoderSession>();
        var opts = new OnnxEngineOptions { IntraOpThreads = 1 };
        // One warm-up session (ORT globals, thread pools), disposed.
        using var factory = new EncoderSessionFactory(config, weights, opts);
        var baseSession = useFactory ? factory.Create(null).Session : null;
        (useFactory ? factory.Create(bundles[count].Masks).Session : OnnxEncoderSession.Create(config, weights, masks[count], opts)).Dispose();
        long estimate = 0;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        S3Router.Core.Hosting.GlibcHeap.Trim();
        var before = Snapshot();
        var allocated = GC.GetTotalAllocatedBytes(true);
        for (var i = 0; i < count; i++)
        {
            if (useFactory)
            {
                var (s, bytes) = factory.Create(bundles[i].Masks);
                sessions.Add(s);
                estimate += bytes;
            }
            else
            {
                sessions.Add(OnnxEncoderSession.Create(config, weights, masks[i], opts));
            }
        }

        var allocatedPerCreate = (GC.GetTotalAllocatedBytes(true) - allocated) / (double)count;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        S3Router.Core.Hosting.GlibcHeap.Trim();
        var created = Snapshot();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"created, not run: RSS {(created.Rss - before.Rss) / count / 1048576.0:F2} MiB, malloc in use {(created.InUse - before.InUse) / count / 1048576.0:F2}, mmapped {(created.Mmapped - before.Mmapped) / count / 1048576.0:F2}, GC committed {(created.Committed - before.Committed) / count / 1048576.0:F2}, managed per create {allocatedPerCreate / 1048576.0:F1}"));
        foreach (var s in sessions)
        {
            s.Run([frames]);
        }

        var allocatedPer = (GC.GetTotalAllocatedBytes(true) - allocated) / (double)count;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        S3Router.Core.Hosting.GlibcHeap.Trim();
        var after = Snapshot();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"config={Environment.GetEnvironmentVariable("S3R_EXP_CONFIG")} per session: RSS {(after.Rss - before.Rss) / count / 1048576.0:F2} MiB, malloc in use {(after.InUse - before.InUse) / count / 1048576.0:F2}, mmapped {(after.Mmapped - before.Mmapped) / count / 1048576.0:F2}, GC committed {(after.Committed - before.Committed) / count / 1048576.0:F2}, managed allocated per build {allocatedPer / 1048576.0:F1} MiB; estimate {(useFactory ? estimate / count : backbone.EncoderBytes) / 1048576.0:F2}, pooled {factory.PooledBytes / 1048576.0:F1}"));
        GC.KeepAlive(sessions);
        GC.KeepAlive(baseSession);
    }

    private static (long Rss, long InUse, long Mmapped, long Committed) Snapshot()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        var info = MallInfo2();
        return (rss, (long)info.Uordblks, (long)info.Hblkhd, GC.GetGCMemoryInfo().TotalCommittedBytes);
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2Struct MallInfo2();

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2Struct
    {
        public nuint Arena;
        public nuint Ordblks;
        public nuint Smblks;
        public nuint Hblks;
        public nuint Hblkhd;
        public nuint Usmblks;
        public nuint Fsmblks;
        public nuint Uordblks;
        public nuint Fordblks;
        public nuint Keepcost;
    }
}
