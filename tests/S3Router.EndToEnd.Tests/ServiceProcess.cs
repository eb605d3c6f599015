using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using S3Router.Testing;

namespace S3Router.EndToEnd.Tests;

/// <summary>
/// One built service (<c>dotnet src/X/bin/CONFIG/net10.0/S3Router.X.dll</c>) running as its own process, configured by
/// environment variables; keeps the last lines of its output for failure messages and kills its tree on dispose.
/// </summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote to stdout and stderr.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>Starts project <paramref name="project"/> (folder under src/, e.g. "Gateway") with <paramref name="environment"/>.</summary>
    public static ServiceProcess Start(string project, IReadOnlyDictionary<string, string> environment)
    {
        var dll = ServiceDll(project);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"dotnet {dll} did not start.");
        return new ServiceProcess(project, process);
    }

    /// <summary>The service's dll, built in the same configuration as this test assembly.</summary>
    public static string ServiceDll(string project)
    {
        var configuration = typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(RepositoryRoot, "src", project, "bin", configuration, "net10.0", $"S3Router.{project}.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {project} in {configuration} first: {dll} is missing.");
    }

    /// <summary>The repository root: the folder of S3RouterServices.sln above the test binaries.</summary>
    public static string RepositoryRoot => Path.GetDirectoryName(RepositoryPaths.Find("S3RouterServices.sln"))!;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
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
