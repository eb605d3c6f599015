using System.Diagnostics;
using Google.Protobuf;
using S3Router.Api.V1;

namespace S3Router.Bench;

/// <summary>
/// Runs one training job as its own process (this program's <c>quality-job</c>) with one libtorch thread, its output in
/// <c>job.log</c>, or reuses the <c>result.json</c> a finished run left in the same directory.
/// </summary>
internal static class BenchJobProcess
{
    public const string ResultFile = "result.json";

    /// <summary>CPU seconds the job process used, written by the child beside its result.</summary>
    public const string CpuFile = "cpu_seconds.txt";

    /// <summary>The job's result, or null when it failed (the message names its log).</summary>
    public static async Task<JobResult?> RunOrReuseAsync(JobSpec spec, string directory)
    {
        directory = Path.GetFullPath(directory);
        var resultPath = Path.Combine(directory, ResultFile);
        if (!File.Exists(resultPath))
        {
            Directory.CreateDirectory(directory);
            var specPath = Path.Combine(directory, "job.json");
            await File.WriteAllTextAsync(specPath, JsonFormatter.Default.Format(spec));
            var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in Environment.GetCommandLineArgs()[0].EndsWith(".dll", StringComparison.Ordinal) ? [Environment.GetCommandLineArgs()[0]] : Array.Empty<string>())
            {
                start.ArgumentList.Add(argument);
            }

            start.ArgumentList.Add("quality-job");
            start.ArgumentList.Add(specPath);
            start.ArgumentList.Add(directory);
            start.Environment["S3R_TRAINING_THREADS"] = "1";
            using var process = Process.Start(start)!;
            var log = Path.Combine(directory, "job.log");
            await using (var writer = new StreamWriter(log, append: true))
            {
                var stdout = Pump(process.StandardOutput, writer);
                var stderr = Pump(process.StandardError, writer);
                await process.WaitForExitAsync();
                await Task.WhenAll(stdout, stderr);
            }

            if (process.ExitCode != 0 || !File.Exists(resultPath))
            {
                Console.WriteLine($"{Path.GetFileName(directory)}: FAILED (exit {process.ExitCode}); see {log}");
                return null;
            }
        }

        return JsonParser.Default.Parse<JobResult>(await File.ReadAllTextAsync(resultPath));
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
