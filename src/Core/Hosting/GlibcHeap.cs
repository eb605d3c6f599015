using System.Runtime.InteropServices;

namespace S3Router.Core.Hosting;

/// <summary>
/// The process's glibc malloc policy, owned in one place because training and inference want opposite ones and
/// <c>s3r serve</c> runs both in one process (reference: mallopt(3), malloc_trim(3)):
/// <list type="bullet">
/// <item><see cref="KeepFreedMemory"/> (training): a TorchSharp step frees its activations and gradients all at once
/// when its dispose scope closes; by default glibc returns the large blocks (mmap) and trims the heap top, so the next
/// step page-faults its working set back in. Blocks up to 32 MiB stay on the heap and the heap is never trimmed
/// (bench/README.md, "Training step time").</item>
/// <item><see cref="ReturnFreedMemory"/> (inference): every freed mmap block raises glibc's dynamic mmap threshold, so
/// after the first evicted ONNX session all later sessions live in the arenas, whose freed memory stays resident (RSS
/// grew by hundreds of MiB per pass over 64 routes). A fixed 128 KiB threshold keeps each large block its own mapping,
/// returned when the session is disposed; <see cref="Trim"/> after an eviction returns the arenas' free pages
/// (bench/README.md, "Route churn").</item>
/// </list>
/// A process that serves inference keeps the inference policy: a training job started later in it does not undo it.
/// </summary>
public static class GlibcHeap
{
    private const int TrimThresholdParameter = -1; // M_TRIM_THRESHOLD
    private const int MmapThresholdParameter = -3; // M_MMAP_THRESHOLD

    // glibc's largest accepted M_MMAP_THRESHOLD on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX).
    private const int MaxMmapThreshold = 32 * 1024 * 1024;

    // glibc's defaults (DEFAULT_MMAP_THRESHOLD_MIN, DEFAULT_TRIM_THRESHOLD), here fixed instead of dynamic.
    private const int DefaultMmapThreshold = 128 * 1024;
    private const int DefaultTrimThreshold = 128 * 1024;

    // -1 (SIZE_MAX in glibc) disables trimming completely.
    private const int NoTrim = -1;

    private static readonly Lock Gate = new();
    private static HeapPolicy _policy = HeapPolicy.Default;

    private enum HeapPolicy
    {
        Default,
        KeepFreed,
        ReturnFreed,
        Unsupported,
    }

    /// <summary>
    /// Training policy: keep freed memory for reuse. True when it is in effect; false off glibc, or when this process
    /// serves inference (<see cref="ReturnFreedMemory"/> was applied), whose policy stays.
    /// </summary>
    public static bool KeepFreedMemory()
    {
        lock (Gate)
        {
            if (_policy == HeapPolicy.Default)
            {
                _policy = TrySet((MmapThresholdParameter, MaxMmapThreshold), (TrimThresholdParameter, NoTrim))
                    ? HeapPolicy.KeepFreed : HeapPolicy.Unsupported;
            }

            return _policy == HeapPolicy.KeepFreed;
        }
    }

    /// <summary>Inference policy: return freed large blocks to the OS. True when it is in effect (false off glibc).</summary>
    public static bool ReturnFreedMemory()
    {
        lock (Gate)
        {
            if (_policy is HeapPolicy.Default or HeapPolicy.KeepFreed)
            {
                // Also resets the trim threshold a training job may have turned off.
                _policy = TrySet((MmapThresholdParameter, DefaultMmapThreshold), (TrimThresholdParameter, DefaultTrimThreshold))
                    ? HeapPolicy.ReturnFreed : HeapPolicy.Unsupported;
            }

            return _policy == HeapPolicy.ReturnFreed;
        }
    }

    /// <summary>Gives the free pages of every malloc arena back to the OS (after sessions were disposed); true when some were released.</summary>
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

    private static bool TrySet(params (int Parameter, int Value)[] settings)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            // mallopt returns 0 for an unknown parameter or a value out of range.
            return settings.All(s => MallOpt(s.Parameter, s.Value) == 1);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (e.g. musl without mallopt): keep its defaults
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
