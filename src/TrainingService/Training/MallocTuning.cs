using System.Runtime.InteropServices;

namespace S3Router.TrainingService.Training;

/// <summary>
/// glibc malloc settings for training. By default glibc serves large blocks with mmap and gives them back on free, and
/// trims the heap top; a TorchSharp step frees its activations and gradients all at once when its dispose scope
/// closes, so the next step page-faults its whole working set back in (about 20 % of a tiny-preset step at 1 thread,
/// bench/README.md "Training step time"). Keeping blocks up to 32 MiB on the heap and never trimming lets the steps
/// reuse the same memory; the process keeps its peak heap instead of returning it. Reference: mallopt(3).
/// </summary>
internal static class MallocTuning
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD

    // glibc's largest accepted M_MMAP_THRESHOLD on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX).
    private const int MaxMmapThreshold = 32 * 1024 * 1024;

    // -1 (SIZE_MAX in glibc) disables trimming completely; a 2 GiB threshold would still trim after a base mask step.
    private const int NoTrim = -1;

    private static bool? _applied;

    /// <summary>Applies the settings once per process; true when glibc accepted them (false off Linux or without glibc).</summary>
    public static bool KeepFreedMemory()
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
                ok = MallOpt(MmapThreshold, MaxMmapThreshold) == 1 && MallOpt(TrimThreshold, NoTrim) == 1;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                ok = false; // not glibc (e.g. musl without mallopt): keep the defaults
            }
        }

        _applied = ok;
        return ok;
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);
}
