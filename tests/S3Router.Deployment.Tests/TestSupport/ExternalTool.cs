using System.Diagnostics;

namespace S3Router.Deployment.Tests.TestSupport;

/// <summary>
/// Runs a command line tool the deployment checks need (kubectl, promtool). A missing tool skips the test on a
/// developer's machine, but fails it under CI (env CI set), so CI never passes by checking nothing.
/// </summary>
internal static class ExternalTool
{
    public static string Require(string name, string installHint)
    {
        var path = Find(name);
        if (path is not null)
        {
            return path;
        }
        var message = $"'{name}' is not on PATH ({installHint})";
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Assert.Fail($"{message}; CI must have it.");
        }
        Assert.Skip($"{message}; skipped outside CI.");
        return name;
    }

    /// <summary>Runs the tool to its end; returns the exit code and both output streams.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string path, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(path)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {path}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }

    private static string? Find(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }
}
