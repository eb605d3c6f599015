using System.Globalization;
using S3Router.Core.Hosting;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;

namespace S3Router.Bench;

/// <summary>
/// What one hot route's encoder session really costs, in process: <c>count</c> sessions of different masks (the serving
/// benchmark's variants of asr/en) are built and kept, then each runs one 2.4 s utterance. Per session: RSS, glibc
/// in-use and mmapped bytes, GC committed bytes and managed bytes allocated by the build, against the hot tier's
/// estimate. <c>--unshared</c>: the plain <c>OnnxEncoderSession.Create</c> path (every tensor in every session,
/// bool masks, copies) for comparison.
/// </summary>
internal static class SessionCostBenchmark
{
    public static async Task RunAsync(int count, int threads, bool unshared)
    {
        GlibcHeap.ReturnFreedMemory();
        var backboneDirectory = Path.Combine(Directory.GetCurrentDirectory(), "models", "tiny-ssl");
        var (config, raw) = await BackboneCheckpoint.LoadAsync(backboneDirectory);
        var weights = Wav2Vec2Weights.Normalize(raw);
        var backbone = new LoadedBackbone(config, weights, "unused");
        var demo = MaskBundle.Read(Path.Combine(backboneDirectory, "routes", "asr-en.safetensors"));
        var bundles = Enumerable.Range(0, count + 1).Select(i => RouteVariants.Variant(demo, $"asr_b{i:00}", seed: 1000 + i)).ToList();
        var frames = new float[120, config.HiddenSize];
        var options = new OnnxEngineOptions { IntraOpThreads = threads };
        using var factory = new EncoderSessionFactory(config, weights, options);
        var sessions = new List<OnnxEncoderSession>();

        // The unmasked session (the service's pinned base, which holds the shared pre-packed tensors) and one warm-up
        // build (ORT's globals, the pools), disposed.
        using var unmasked = unshared ? null : factory.Create(null).Session;
        Build(bundles[count]).Session.Dispose();
        var before = Snapshot();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        long estimate = 0;
        foreach (var bundle in bundles.Take(count))
        {
            var (session, bytes) = Build(bundle);
            sessions.Add(session);
            estimate += bytes;
        }

        var allocatedPerBuild = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)count;
        var built = Snapshot();
        foreach (var session in sessions)
        {
            session.Run([frames]);
        }

        var ran = Snapshot();
        Console.WriteLine($"session cost, {(unshared ? "unshared (OnnxEncoderSession.Create)" : "EncoderSessionFactory (as the service)")}, {count} sessions of models/tiny-ssl, {threads} intra-op threads each; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| per session | RSS MiB | malloc in use MiB | malloc mmapped MiB | GC committed MiB | managed allocated per build MiB | hot tier estimate MiB |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        Row("built", built, allocatedPerBuild);
        Row("after one 2.4 s utterance each", ran, allocatedPerBuild);
        foreach (var session in sessions)
        {
            session.Dispose();
        }

        (OnnxEncoderSession Session, long Bytes) Build(MaskBundle bundle) => unshared
            ? (OnnxEncoderSession.Create(config, weights, bundle.Masks.ToDictionary(m => Wav2Vec2Weights.CanonicalName(m.Name), m => m.Unpack(), StringComparer.Ordinal), options), backbone.EncoderBytes)
            : factory.Create(bundle.Masks);

        void Row(string label, (long Rss, long InUse, long Mmapped, long Committed) after, double managed) =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | {Mib(after.Rss - before.Rss)} | {Mib(after.InUse - before.InUse)} | {Mib(after.Mmapped - before.Mmapped)} | {Mib(after.Committed - before.Committed)} | {managed / 1048576.0:F2} | {estimate / (double)count / 1048576.0:F2} |"));

        string Mib(long bytes) => (bytes / (double)count / 1048576.0).ToString("F2", CultureInfo.InvariantCulture);
    }

    // After a full GC and a trim, so only what is held counts.
    private static (long Rss, long InUse, long Mmapped, long Committed) Snapshot()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GlibcHeap.Trim();
        var (inUse, _, mmapped) = ProcessMemory.Malloc();
        return (ProcessMemory.Rss(), inUse, mmapped, GC.GetGCMemoryInfo().TotalCommittedBytes);
    }
}
