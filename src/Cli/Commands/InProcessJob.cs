using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Training;

namespace S3Router.Cli.Commands;

/// <summary>Runs a training job in this process (<c>s3r pretrain</c>, <c>s3r probe</c>) and prints its metrics.</summary>
internal static class InProcessJob
{
    /// <summary>
    /// Builds the spec with <paramref name="createSpec"/>, runs it with a <see cref="JobRunner"/>, prints
    /// <paramref name="headline"/> (given the result and the run time) and then every metric by name. Returns the exit
    /// code: 0, or 2 after printing the error when building or running the job throws an <see cref="S3RouterException"/>.
    /// </summary>
    public static async Task<int> RunAsync(
        Func<JobSpec> createSpec, JobRunContext context, Func<JobResult, TimeSpan, string> headline, CancellationToken cancellationToken)
    {
        try
        {
            var spec = createSpec();
            var runner = new JobRunner(NullLogger<JobRunner>.Instance, TimeProvider.System);
            var started = DateTime.UtcNow;
            var result = await runner.RunAsync(spec, context, cancellationToken);
            Console.WriteLine(headline(result, DateTime.UtcNow - started));
            foreach (var (name, value) in result.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} = {value:F4}"));
            }

            return 0;
        }
        catch (S3RouterException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
    }
}
