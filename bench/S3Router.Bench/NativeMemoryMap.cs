using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace S3Router.Bench;

/// <summary>
/// Where this process's resident memory sits, from /proc/self/smaps and glibc's malloc_info: the main heap, glibc's other
/// malloc arenas (64 MiB-aligned reservations), thread stacks (a mapping right above a guard page), other anonymous
/// mappings (GC, mmapped blocks) and files; plus threads and arenas counted. Heuristic, for diagnosis only.
/// </summary>
internal static partial class NativeMemoryMap
{
    // glibc's HEAP_MAX_SIZE on 64-bit (2 * DEFAULT_MMAP_THRESHOLD_MAX): non-main arenas are aligned to it.
    private const long ArenaAlignment = 64L << 20;

    public sealed record Breakdown(
        int Threads, long Heap, long Arenas, int ArenaMappings, long Stacks, int StackMappings, long OtherAnon, long File,
        int MallocArenas, long MallocSystem, long MallocFree);

    /// <summary>This process's breakdown, or another's (<paramref name="pid"/>: smaps and threads only, no malloc_info).</summary>
    public static Breakdown Read(int? pid = null)
    {
        var proc = pid is { } id ? $"/proc/{id.ToString(CultureInfo.InvariantCulture)}" : "/proc/self";
        var maps = new List<(long Start, long End, string Perms, string Path, long Rss)>();
        (long Start, long End, string Perms, string Path)? current = null;
        foreach (var line in System.IO.File.ReadLines($"{proc}/smaps"))
        {
            var header = Header().Match(line);
            if (header.Success)
            {
                current = (long.Parse(header.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    long.Parse(header.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    header.Groups[3].Value, header.Groups[4].Value.Trim());
            }
            else if (current is { } c && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                maps.Add((c.Start, c.End, c.Perms, c.Path,
                    long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024));
            }
        }

        long heap = 0, arenas = 0, stacks = 0, otherAnon = 0, file = 0;
        int arenaMappings = 0, stackMappings = 0;
        for (var i = 0; i < maps.Count; i++)
        {
            var (start, end, perms, path, rss) = maps[i];
            var writableAnon = path.Length == 0 && perms.StartsWith("rw", StringComparison.Ordinal);
            if (path == "[heap]")
            {
                heap += rss;
            }
            else if (path.Length > 0 && !path.StartsWith('['))
            {
                file += rss;
            }
            // A non-main arena: 64 MiB-aligned, its unused rest of the 64 MiB reserved PROT_NONE right after it.
            else if (writableAnon && start % ArenaAlignment == 0
                && (end - start == ArenaAlignment
                    || (i + 1 < maps.Count && maps[i + 1].Start == end && maps[i + 1].Perms.StartsWith("---", StringComparison.Ordinal)
                        && maps[i + 1].End == start + ArenaAlignment)))
            {
                arenas += rss;
                arenaMappings++;
            }
            // A pthread stack: glibc's default size (8 MiB here) right above a one-page guard.
            else if (writableAnon && end - start == 8L << 20 && i > 0 && maps[i - 1].End == start
                && maps[i - 1].Perms.StartsWith("---", StringComparison.Ordinal) && maps[i - 1].End - maps[i - 1].Start == 4096)
            {
                stacks += rss;
                stackMappings++;
            }
            else
            {
                otherAnon += rss;
            }
        }

        var threads = int.Parse(
            System.IO.File.ReadLines($"{proc}/status").First(l => l.StartsWith("Threads:", StringComparison.Ordinal))
                .Split(':')[1].Trim(), CultureInfo.InvariantCulture);
        var (mallocArenas, system, free) = pid is null ? MallocInfo() : (-1, -1L, -1L);
        return new Breakdown(threads, heap, arenas, arenaMappings, stacks, stackMappings, otherAnon, file, mallocArenas, system, free);
    }

    public static string Format(Breakdown b) => string.Create(CultureInfo.InvariantCulture,
        $"threads {b.Threads}; RSS heap {Mib(b.Heap)}, arenas {Mib(b.Arenas)} ({b.ArenaMappings}), stacks {Mib(b.Stacks)} ({b.StackMappings}), other anon {Mib(b.OtherAnon)}, file {Mib(b.File)} MiB; malloc_info arenas {b.MallocArenas}, system {Mib(b.MallocSystem)}, free {Mib(b.MallocFree)} MiB");

    // malloc_info(3) XML: one <heap nr=...> per arena; the totals at the end.
    private static (int Arenas, long System, long Free) MallocInfo()
    {
        try
        {
            var stream = OpenMemstream(out var buffer, out _);
            if (stream == 0)
            {
                return (-1, -1, -1);
            }

            _ = MallocInfoNative(0, stream);
            _ = FClose(stream);
            var xml = Marshal.PtrToStringUTF8(buffer) ?? "";
            Free(buffer);
            var arenas = HeapElement().Matches(xml).Count;
            var system = SystemTotal().Match(xml) is { Success: true } s ? long.Parse(s.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
            var free = FreeTotal().Match(xml) is { Success: true } f ? long.Parse(f.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
            return (arenas, system, free);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (-1, -1, -1);
        }
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")]
    private static partial Regex Header();

    [GeneratedRegex(@"<heap nr=")]
    private static partial Regex HeapElement();

    [GeneratedRegex(@"<system type=""current"" size=""(\d+)""/>\s*<system type=""max""[^>]*>\s*<aspace type=""total""[^>]*>\s*<aspace type=""mprotect""[^>]*>\s*</malloc>")]
    private static partial Regex SystemTotal();

    [GeneratedRegex(@"<total type=""rest"" count=""\d+"" size=""(\d+)""/>\s*<total type=""mmap""[^>]*>\s*<system type=""current""[^>]*>\s*<system type=""max""[^>]*>\s*<aspace type=""total""[^>]*>\s*<aspace type=""mprotect""[^>]*>\s*</malloc>")]
    private static partial Regex FreeTotal();

    [DllImport("libc", EntryPoint = "open_memstream")]
    private static extern nint OpenMemstream(out nint buffer, out nuint size);

    [DllImport("libc", EntryPoint = "malloc_info")]
    private static extern int MallocInfoNative(int options, nint stream);

    [DllImport("libc", EntryPoint = "fclose")]
    private static extern int FClose(nint stream);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(nint pointer);
}
