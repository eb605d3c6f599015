using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace S3Router.Testing.Processes;

/// <summary>
/// A TCP proxy on a free loopback port in front of <c>127.0.0.1:targetPort</c> that holds every chunk of bytes for
/// <see cref="Delay"/> before passing it on, in both directions: a slow link or a slow pod as its callers see it
/// (a request/response round trip gets about 2 × delay). Chunks keep their order and are delayed independently, so
/// bandwidth is not limited. The delay can be changed while connections are open.
/// </summary>
public sealed class DelayProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private long _delayTicks;
    private long _connections;

    /// <summary>Starts listening at once.</summary>
    public DelayProxy(int targetPort, TimeSpan delay)
    {
        _targetPort = targetPort;
        Delay = delay;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync(_stop.Token);
    }

    /// <summary>The port callers connect to.</summary>
    public int Port { get; }

    public string Address => $"http://127.0.0.1:{Port}";

    /// <summary>How long each chunk is held, per direction.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <summary>Connections accepted so far.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync(CancellationToken token)
    {
        var connections = new List<Task>();
        try
        {
            while (!token.IsCancellationRequested)
            {
                var client = await _listener.AcceptSocketAsync(token);
                Interlocked.Increment(ref _connections);
                connections.Add(ServeAsync(client, token));
                connections.RemoveAll(t => t.IsCompleted);
            }
        }
        finally
        {
            await Task.WhenAll(connections);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken token)
    {
        using (client)
        {
            using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            try
            {
                await target.ConnectAsync(IPAddress.Loopback, _targetPort, token);
            }
            catch (SocketException)
            {
                return; // the pod is down: the caller sees its connection closed, as with a dead pod
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(token);
            var up = PumpAsync(client, target, linked.Token);
            var down = PumpAsync(target, client, linked.Token);
            await Task.WhenAny(up, down);
            // One side finished or failed: give the other a moment to drain what is queued, then tear both down.
            await Task.WhenAny(Task.WhenAll(up, down), Task.Delay(Delay + TimeSpan.FromSeconds(1), CancellationToken.None));
            await linked.CancelAsync();
            await Task.WhenAll(Quiet(up), Quiet(down));
        }
    }

    // Reads chunks from source and writes each to destination once its delay has passed.
    private async Task PumpAsync(Socket source, Socket destination, CancellationToken token)
    {
        var queue = Channel.CreateUnbounded<(long Due, byte[] Data)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = WriteDelayedAsync(queue.Reader, destination, token);
        try
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var read = await source.ReceiveAsync(buffer, SocketFlags.None, token);
                if (read == 0)
                {
                    break;
                }

                var due = Stopwatch.GetTimestamp() + (long)(Delay.TotalSeconds * Stopwatch.Frequency);
                queue.Writer.TryWrite((due, buffer.AsSpan(0, read).ToArray()));
            }
        }
        finally
        {
            queue.Writer.TryComplete();
            await Quiet(writer);
        }

        try
        {
            destination.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task WriteDelayedAsync(ChannelReader<(long Due, byte[] Data)> queue, Socket destination, CancellationToken token)
    {
        await foreach (var (due, data) in queue.ReadAllAsync(token))
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, token);
            }

            var sent = 0;
            while (sent < data.Length)
            {
                sent += await destination.SendAsync(data.AsMemory(sent), SocketFlags.None, token);
            }
        }
    }

    private static async Task Quiet(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
        }
    }
}
