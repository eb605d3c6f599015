using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace S3Router.Bench;

/// <summary>
/// One built service (<c>dotnet src/X/bin/Release/net10.0/S3Router.X.dll</c>) as its own process on loopback ports,
/// configured by environment variables; killed on dispose. Reads its resident memory from /proc.
/// </summary>
internal sealed class BenchProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private BenchProcess(string name, Process process, int grpcPort, int metricsPort)
    {
        Name = name;
        _process = process;
        GrpcPort = grpcPort;
        MetricsPort = metricsPort;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int GrpcPort { get; }

    public int MetricsPort { get; }

    /// <summary>The operating system's id of the process.</summary>
    public int ProcessId => _process.Id;

    public string Address => $"http://127.0.0.1:{GrpcPort}";

    /// <summary>Resident set size now (VmRSS), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"No VmRSS for {Name}.");
    }

    /// <summary>Peak resident set size since start or since <see cref="ResetPeakResident"/> (VmHWM), in bytes.</summary>
    public long PeakResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"No VmHWM for {Name}.");
    }

    /// <summary>Sets the peak resident set size (VmHWM) to the current one (writes 5 to /proc/PID/clear_refs, Linux 4.0+).</summary>
    /// <returns>False when the kernel refused it (the peak then counts from the start).</returns>
    public bool ResetPeakResident()
    {
        try
        {
            File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Resident anonymous memory (heaps) and file-backed memory (code, mapped files) now, in bytes (RssAnon, RssFile).</summary>
    public (long Anon, long File) ResidentAnonAndFile()
    {
        long anon = 0, file = 0;
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            var kib = () => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anon = kib();
            }
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
            {
                file = kib();
            }
        }

        return (anon, file);
    }

    /// <summary>CPU time the process has used so far (user + system, from /proc/PID/stat), in seconds.</summary>
    public double CpuSeconds()
    {
        _process.Refresh();
        return _process.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>Starts <paramref name="project"/> (folder under src/) with <paramref name="settings"/>.</summary>
    public static BenchProcess Start(string repository, string project, string name, IReadOnlyDictionary<string, string> settings)
    {
        var dll = Path.Combine(repository, "src", project, "bin", "Release", "net10.0", $"S3Router.{project}.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build {project} in Release first (dotnet build -c Release): {dll} is missing.");
        }

        var grpcPort = FreePort();
        var metricsPort = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = repository,
        };
        start.ArgumentList.Add(dll);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Service__GrpcPort"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Service__MetricsPort"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Service__ListenAddress"] = "127.0.0.1";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"dotnet {dll} did not start.");
        return new BenchProcess(name, process, grpcPort, metricsPort);
    }

    /// <summary>Polls grpc.health.v1 "ready" until SERVING (3 min at most).</summary>
    public async Task WaitReadyAsync()
    {
        using var channel = GrpcChannel.ForAddress(Address);
        var health = new Health.HealthClient(channel);
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited:\n{string.Join('\n', _output)}");
            }

            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest { Service = "ready" }, deadline: DateTime.UtcNow.AddSeconds(5));
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
            {
                // Still starting.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} not ready after 3 min:\n{string.Join('\n', _output)}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The value of a Prometheus sample line starting with <paramref name="series"/> on /metrics, or NaN.</summary>
    public async Task<double> MetricAsync(string series)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{MetricsPort}/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series, StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The first Prometheus sample line on /metrics that starts with <paramref name="series"/>, or "none".</summary>
    public async Task<string> MetricLineAsync(string series)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{MetricsPort}/metrics");
        return text.Split('\n').FirstOrDefault(l => l.StartsWith(series, StringComparison.Ordinal)) ?? "none";
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 40)
        {
            _output.TryDequeue(out _);
        }
    }
}
