using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.TrainingService.Extensions;

namespace S3Router.TrainingService.Jobs;

/// <summary>
/// Runs one job in the calling process, without the service, queue or database (<c>s3r train run</c>, e.g. in a
/// Kubernetes Job): the same validation, runner and publishing as the service. A second call with the same work
/// directory resumes from the runner's checkpoint.
/// </summary>
public static class StandaloneJob
{
    /// <summary>Checks <paramref name="spec"/> as the service does at submit time (config-file field names, no <c>spec.</c> prefix).</summary>
    /// <exception cref="S3Router.Core.Errors.InvalidInputException">The spec is invalid (field violations list every problem).</exception>
    public static void Validate(JobSpec spec) => JobSpecValidator.Validate(spec, prefix: "");

    /// <summary>Validates <paramref name="spec"/>, trains, and publishes when the spec asks for it.</summary>
    /// <param name="jobId">Id recorded in the bundle's lineage and the registry labels.</param>
    /// <param name="spec">The job.</param>
    /// <param name="workDirectory">Checkpoints and outputs; created when missing.</param>
    /// <param name="options">Registry address and API key for publishing; <see cref="TrainingServiceOptions.DataDirectory"/> is not used.</param>
    /// <param name="reportProgress">Called after every step and evaluation, on the training thread.</param>
    /// <param name="runner">The engine; null for this build's own.</param>
    /// <param name="cancellationToken">Stops training within one step.</param>
    /// <exception cref="S3Router.Core.Errors.InvalidInputException">The spec is invalid (field violations list every problem).</exception>
    public static async Task<JobResult> RunAsync(string jobId, JobSpec spec, string workDirectory, TrainingServiceOptions options,
        Action<JobProgress> reportProgress, IJobRunner? runner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(spec);
        var services = new ServiceCollection();
        // Progress goes to stdout; the engine's warnings (skipped utterances, ...) to stderr.
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(null, LogLevel.Warning));
        services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        services.AddSingleton(Options.Create(options));
        services.AddTrainingEngine();
        if (runner is not null)
        {
            services.AddSingleton(runner);
        }

        await using var provider = services.BuildServiceProvider();
        Directory.CreateDirectory(workDirectory);
        var context = new JobRunContext(jobId, Path.GetFullPath(workDirectory), reportProgress);
        return await provider.GetRequiredService<JobExecutor>().ExecuteAsync(spec, context, cancellationToken);
    }
}
