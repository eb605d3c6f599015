using System.Runtime.InteropServices;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// glibc malloc settings for route churn. ONNX Runtime allocates a session's initializers, pre-packed weights and
/// arena chunks with malloc. glibc serves large blocks with mmap at first, but every such block freed raises its mmap
/// threshold to the block's size (up to 32 MiB), so after the first evicted session all later sessions come from the
/// malloc arenas, whose freed memory stays resident: RSS grew by hundreds of MiB per pass over 64 routes with only 8
/// sessions live (bench/README.md, "Route churn"). A fixed threshold turns that adjustment off: each large block is
/// its own mapping and goes back to the OS when the session is disposed. <see cref="Trim"/> after an eviction returns
/// the free pages of the arenas too. Reference: mallopt(3), malloc_trim(3).
/// </summary>
internal static class NativeHeap
{
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD

    // glibc's default starting threshold; fixed, so freeing a session never raises it.
    private const int FixedMmapThreshold = 128 * 1024;

    private static readonly Lock Gate = new();
    private static bool? _applied;

    /// <summary>Applies the fixed mmap threshold once per process; true when glibc accepted it (false off Linux or without glibc).</summary>
    public static bool ReturnFreedMemory()
    {
        lock (Gate)
        {
            if (_applied is { } applied)
            {
                return applied;
            }

            var ok = false;
            if (OperatingSystem.IsLinux())
            {
                try
                {
                    ok = MallOpt(MmapThreshold, FixedMmapThreshold) == 1;
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
                {
                    ok = false; // not glibc (e.g. musl): keep its defaults
                }
            }

            _applied = ok;
            return ok;
        }
    }

    /// <summary>Gives the free pages of every malloc arena back to the OS (after sessions were disposed); false when not possible.</summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return MallocTrim(0) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
