using System.Net;
using System.Net.Sockets;

namespace S3Router.Gateway.Tests.TestSupport;

internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
