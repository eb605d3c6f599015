using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace S3Router.Testing.Processes;

/// <summary>
/// One built service (<c>dotnet src/X/bin/CONFIG/net10.0/S3Router.X.dll</c>) running as its own process on fixed
/// loopback ports, configured by environment variables. It can be killed (SIGKILL) and started again with the same
/// settings and ports; it keeps the last lines of its output for failure messages and kills its tree on dispose.
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly Dictionary<string, string> _environment;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    private ServiceProcess(string project, int grpcPort, int metricsPort, Dictionary<string, string> environment)
    {
        Name = project;
        GrpcPort = grpcPort;
        MetricsPort = metricsPort;
        _environment = environment;
    }

    /// <summary>The project folder under src/, e.g. "Gateway".</summary>
    public string Name { get; }

    public int GrpcPort { get; }

    /// <summary>Port of the HTTP/1 endpoint serving <c>/metrics</c>.</summary>
    public int MetricsPort { get; }

    public string Address => $"http://127.0.0.1:{GrpcPort}";

    /// <summary>The current OS process id (changes on restart).</summary>
    public int Id => _process?.Id ?? -1;

    public bool HasExited => _process is null || _process.HasExited;

    /// <summary>The last lines the process wrote to stdout and stderr (across restarts).</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// Starts project <paramref name="project"/> on <paramref name="grpcPort"/> (a free port when 0) and a free metrics
    /// port, listening on 127.0.0.1, with <paramref name="environment"/> on top.
    /// </summary>
    public static ServiceProcess Start(string project, IReadOnlyDictionary<string, string> environment, int grpcPort = 0)
    {
        var port = grpcPort > 0 ? grpcPort : LoopbackPort.Free();
        var metricsPort = LoopbackPort.Free();
        var settings = new Dictionary<string, string>(environment)
        {
            ["Service__GrpcPort"] = port.ToString(CultureInfo.InvariantCulture),
            ["Service__MetricsPort"] = metricsPort.ToString(CultureInfo.InvariantCulture),
            ["Service__ListenAddress"] = "127.0.0.1",
        };
        var service = new ServiceProcess(project, port, metricsPort, settings);
        service.Start();
        return service;
    }

    /// <summary>The service's dll, built in the same configuration as the calling assembly.</summary>
    public static string ServiceDll(string project)
    {
        var configuration = typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = System.IO.Path.Combine(RepositoryRoot, "src", project, "bin", configuration, "net10.0", $"S3Router.{project}.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {project} in {configuration} first: {dll} is missing.");
    }

    /// <summary>The repository root: the folder of S3RouterServices.sln above the binaries.</summary>
    public static string RepositoryRoot => System.IO.Path.GetDirectoryName(RepositoryPaths.Find("S3RouterServices.sln"))!;

    /// <summary>Starts the process again with the same settings and ports; it must have exited (see <see cref="Kill"/>).</summary>
    public void Start()
    {
        if (!HasExited)
        {
            throw new InvalidOperationException($"{Name} is still running.");
        }

        _process?.Dispose();
        var dll = ServiceDll(Name);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = System.IO.Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"dotnet {dll} did not start.");
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>SIGKILL: the process dies at once, without closing its connections or flushing anything.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }

    /// <summary>Polls grpc.health.v1 "ready" until SERVING; connection refusals while the process starts are expected.</summary>
    public async Task WaitReadyAsync(CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        using var channel = GrpcChannel.ForAddress(Address);
        var health = new Health.HealthClient(channel);
        var limit = timeout ?? TimeSpan.FromMinutes(2);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"{Name} exited during start-up:\n{Output}");
            }

            try
            {
                var reply = await health.CheckAsync(
                    new HealthCheckRequest { Service = "ready" }, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken);
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} was not ready after {limit.TotalSeconds} s:\n{Output}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The text of its Prometheus <c>/metrics</c> page.</summary>
    public Task<string> ScrapeMetricsAsync(CancellationToken cancellationToken) =>
        Http.GetStringAsync($"http://127.0.0.1:{MetricsPort}/metrics", cancellationToken);

    /// <summary>Resident set size of the process now, in bytes (VmRSS of /proc/PID/status); 0 when it is not running.</summary>
    public long ResidentBytes() => HasExited ? 0 : ProcessMemory.ResidentBytes(Id);

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process?.Dispose();
        _process = null;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200 && _output.TryDequeue(out _))
        {
        }
    }
}
