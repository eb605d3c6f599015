using System.Runtime;

namespace S3Router.Core.Hosting;

/// <summary>
/// Gives memory a phase of work left behind back to the OS: one blocking full GC that compacts the large object heap
/// and decommits what it frees, then, when asked, a glibc trim of the malloc arenas. For the moments a large working
/// set has just died (evicted route sessions; a training job's cached features), which the GC would otherwise keep
/// committed until a compacting collection happens to run.
/// </summary>
public static class ResidentMemory
{
    /// <summary>Collects, compacts and decommits the managed heap; then trims the malloc arenas when <paramref name="trimNative"/>.</summary>
    public static void Settle(bool trimNative)
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (trimNative)
        {
            GlibcHeap.Trim();
        }
    }
}
