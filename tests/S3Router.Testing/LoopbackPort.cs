using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace S3Router.Testing;

/// <summary>Free TCP ports on 127.0.0.1 for test servers.</summary>
/// <remarks>
/// A port the OS hands out for port 0 comes from the ephemeral range, the same range every outgoing connection of
/// the parallel tests takes its local port from, so it can be gone before Kestrel binds it (CI saw exactly that).
/// The ports here come from below the ephemeral range, which the OS never assigns on its own, and each is handed
/// out once per test process.
/// </remarks>
public static class LoopbackPort
{
    private const int LowestPort = 10_000;
    private const string EphemeralRangeFile = "/proc/sys/net/ipv4/ip_local_port_range";
    private static readonly int EndPort = EphemeralStart();
    private static readonly HashSet<int> HandedOut = [];
    private static readonly Lock Gate = new();

    /// <summary>A port no other test of this process got, free now, outside the OS's ephemeral range.</summary>
    public static int Free()
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(LowestPort, EndPort);
                if (HandedOut.Add(port) && IsFree(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"No free loopback port found in {LowestPort}..{EndPort - 1}.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>First port of the ephemeral range (Linux default 32768; 49152 on other systems).</summary>
    private static int EphemeralStart()
    {
        if (File.Exists(EphemeralRangeFile)
            && int.TryParse(File.ReadAllText(EphemeralRangeFile).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0],
                NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            && start > LowestPort + 1000)
        {
            return start;
        }

        return OperatingSystem.IsLinux() ? 32768 : 49152;
    }
}
