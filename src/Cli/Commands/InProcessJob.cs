using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training;

namespace S3Router.Cli.Commands;

/// <summary>Runs a training job in this process (<c>s3r pretrain</c>, <c>s3r probe</c>) and prints its metrics.</summary>
internal static class InProcessJob
{
    /// <summary>
    /// Builds the spec with <paramref name="createSpec"/>, runs it with a <see cref="JobRunner"/>, prints
    /// <paramref name="headline"/> (given the result and the run time) and then every metric by name. Returns the exit
    /// code: 0, or 2 after printing the error when building or running the job throws an <see cref="S3RouterException"/>.
    /// A bad spec field listed in <paramref name="optionNames"/> (spec field → command option) is printed as that option.
    /// With <paramref name="logProgress"/>, the engine's log (targets, caching, resume) goes to the console too.
    /// </summary>
    public static async Task<int> RunAsync(
        ParseResult parse,
        Func<JobSpec> createSpec,
        JobRunContext context,
        Func<JobResult, TimeSpan, string> headline,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? optionNames = null,
        bool logProgress = false)
    {
        using var loggerFactory = logProgress
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            }))
            : NullLoggerFactory.Instance;
        var (output, error) = (parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        try
        {
            var spec = createSpec();
            var runner = new JobRunner(loggerFactory.CreateLogger<JobRunner>(), TimeProvider.System);
            var started = DateTime.UtcNow;
            var result = await runner.RunAsync(spec, context, cancellationToken);
            output.WriteLine(headline(result, DateTime.UtcNow - started));
            if (ReproducibleWith(result) is { } settings)
            {
                output.WriteLine(settings);
            }

            foreach (var (name, value) in result.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} = {value:F4}"));
            }

            return 0;
        }
        catch (InvalidInputException ex) when (optionNames is not null && ex.Violations.Any(v => optionNames.ContainsKey(v.Field)))
        {
            foreach (var violation in ex.Violations)
            {
                var name = optionNames.TryGetValue(violation.Field, out var option) ? option : violation.Field;
                error.WriteLine($"error: {name}: {violation.Description}");
            }

            return 2;
        }
        catch (S3RouterException ex)
        {
            error.WriteLine($"error: {ex.Message}");
            return 2;
        }
    }

    /// <summary>
    /// The recorded settings a rerun needs for the same result ("libtorch threads: 2, oneDNN level: AVX2 (a rerun gives
    /// the same result with S3R_TRAINING_THREADS=2 ONEDNN_MAX_CPU_ISA=AVX2)"), or null when the job recorded none. Without
    /// a thread count (steps run with different counts) no rerun promises the same result, so only the level is named.
    /// </summary>
    internal static string? ReproducibleWith(JobResult result)
    {
        var level = result.OnednnMaxIsa.Length > 0 ? $"oneDNN level: {result.OnednnMaxIsa}" : null;
        if (result.TorchThreads <= 0)
        {
            return level;
        }

        var threads = $"{JobRunner.ThreadsVariable}={result.TorchThreads}";
        return level is null
            ? $"libtorch threads: {result.TorchThreads} (a rerun gives the same result with {threads})"
            : $"libtorch threads: {result.TorchThreads}, {level} (a rerun gives the same result with {threads} {LibTorchCpuIsa.Variable}={result.OnednnMaxIsa})";
    }
}
