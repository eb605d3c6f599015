using System.Globalization;

namespace S3Router.Testing.Processes;

/// <summary>Memory figures of a Linux process, read from /proc.</summary>
public static class ProcessMemory
{
    /// <summary>VmRSS of /proc/<paramref name="pid"/>/status in bytes; 0 when the process is gone or the line is missing.</summary>
    public static long ResidentBytes(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        // "VmRSS:     123456 kB"
        var line = lines.FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is { Length: >= 2 } && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : 0;
    }
}
