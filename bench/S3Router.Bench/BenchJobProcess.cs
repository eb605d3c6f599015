using System.Diagnostics;
using Google.Protobuf;
using S3Router.Api.V1;

namespace S3Router.Bench;

/// <summary>
/// Runs one training job as its own process (this program's <c>quality-job</c>) with one libtorch thread, its output in
/// <c>job.log</c>, or reuses the <c>result.json</c> a finished run left in the same directory; and other bench child
/// processes the same way (<see cref="RunChildAsync"/>).
/// </summary>
internal static class BenchJobProcess
{
    public const string ResultFile = "result.json";

    /// <summary>CPU seconds the job process used, written by the child beside its result.</summary>
    public const string CpuFile = "cpu_seconds.txt";

    /// <summary>
    /// The job's result, or null when it failed (the message names its log) or when <paramref name="directory"/> holds a
    /// job of another spec.
    /// </summary>
    public static async Task<JobResult?> RunOrReuseAsync(JobSpec spec, string directory)
    {
        directory = Path.GetFullPath(directory);
        var resultPath = Path.Combine(directory, ResultFile);
        var specPath = Path.Combine(directory, "job.json");
        // A result or checkpoint of another recipe must not stand in for this one (a rerun with changed settings).
        if (File.Exists(specPath) && JsonParser.Default.Parse<JobSpec>(await File.ReadAllTextAsync(specPath)) is var stored && !stored.Equals(spec))
        {
            Console.WriteLine($"{Path.GetFileName(directory)}: FAILED: {directory} holds a job with another spec ({specPath}); " +
                "give the run another work directory, or delete that one to retrain it.");
            return null;
        }

        if (!File.Exists(resultPath))
        {
            Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(specPath, JsonFormatter.Default.Format(spec));
            var (exitCode, log) = await RunChildAsync(directory, "job.log", "quality-job", specPath, directory);
            if (exitCode != 0 || !File.Exists(resultPath))
            {
                Console.WriteLine($"{Path.GetFileName(directory)}: FAILED (exit {exitCode}); see {log}");
                return null;
            }
        }

        return JsonParser.Default.Parse<JobResult>(await File.ReadAllTextAsync(resultPath));
    }

    /// <summary>This program again as a child process with one libtorch thread, its output appended to <paramref name="logName"/> in <paramref name="directory"/>.</summary>
    public static async Task<(int ExitCode, string Log)> RunChildAsync(string directory, string logName, params string[] arguments)
    {
        var start = ThisProgram(arguments);
        start.RedirectStandardError = true;
        start.Environment["S3R_TRAINING_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var log = Path.Combine(directory, logName);
        // Flushed per line, so a long job's progress can be followed in its log while it runs.
        await using (var writer = new StreamWriter(log, append: true) { AutoFlush = true })
        {
            var stdout = Pump(process.StandardOutput, writer);
            var stderr = Pump(process.StandardError, writer);
            await process.WaitForExitAsync();
            await Task.WhenAll(stdout, stderr);
        }

        return (process.ExitCode, log);
    }

    /// <summary>A start of this program again with <paramref name="arguments"/>, its standard output redirected.</summary>
    public static ProcessStartInfo ThisProgram(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true };
        // Under the dotnet host the program is its first argument; the apphost (dotnet run) is the program itself.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static async Task Pump(StreamReader reader, StreamWriter writer)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (writer)
            {
                writer.WriteLine(line);
            }
        }
    }
}
