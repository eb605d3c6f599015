using System.Globalization;
using System.Runtime.InteropServices;

namespace S3Router.Bench;

/// <summary>This process's resident set and glibc heap figures, for the memory benchmarks.</summary>
internal static class ProcessMemory
{
    /// <summary>VmRSS of this process, in bytes.</summary>
    public static long Rss()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>glibc <c>mallinfo2</c>: bytes in use, free but kept, and in mmapped blocks; -1 each without glibc ≥ 2.33.</summary>
    public static (long InUse, long Free, long Mmapped) Malloc()
    {
        try
        {
            var info = MallInfo2();
            return ((long)info.Uordblks, (long)info.Fordblks, (long)info.Hblkhd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (-1, -1, -1);
        }
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2Struct MallInfo2();

    // struct mallinfo2 (glibc ≥ 2.33): ten size_t fields, summed over all arenas.
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
