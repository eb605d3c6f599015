using System.Collections.Concurrent;
using System.Globalization;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.TrainingService.Jobs;

namespace S3Router.TrainingService.Tests.Jobs.TestSupport;

/// <summary>
/// Stands in for the training engine: "trains" <see cref="TotalSteps"/> steps (each a short delay, or one release of
/// <see cref="StepGate"/>), checkpoints after every step, resumes from the checkpoint, honours cancellation at every
/// step and writes a small valid mask bundle.
/// </summary>
internal sealed class FakeJobRunner : IJobRunner
{
    public const string CheckpointFile = "checkpoint.txt";
    public const string BundleFile = "bundle.safetensors";

    private long _completedSteps;

    public int TotalSteps { get; init; } = 5;

    public TimeSpan StepDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>When set, each step waits for one release instead of <see cref="StepDelay"/>.</summary>
    public SemaphoreSlim? StepGate { get; init; }

    /// <summary>When set, thrown after the last step instead of writing the bundle.</summary>
    public Exception? FailWith { get; init; }

    public ConcurrentQueue<RunnerCall> Calls { get; } = new();

    public long CompletedSteps => Interlocked.Read(ref _completedSteps);

    public async Task<JobResult> RunAsync(JobSpec spec, JobRunContext context, CancellationToken cancellationToken)
    {
        var checkpoint = Path.Combine(context.WorkDirectory, CheckpointFile);
        var start = File.Exists(checkpoint) ? long.Parse(await File.ReadAllTextAsync(checkpoint, cancellationToken), CultureInfo.InvariantCulture) : 0;
        Calls.Enqueue(new RunnerCall(context.JobId, context.WorkDirectory, start));
        for (var step = start + 1; step <= TotalSteps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (StepGate is not null)
            {
                await StepGate.WaitAsync(cancellationToken);
            }
            else
            {
                await Task.Delay(StepDelay, cancellationToken);
            }

            Interlocked.Increment(ref _completedSteps);
            var temp = checkpoint + ".tmp";
            await File.WriteAllTextAsync(temp, step.ToString(CultureInfo.InvariantCulture), CancellationToken.None);
            File.Move(temp, checkpoint, overwrite: true);
            context.ReportProgress(new JobProgress
            {
                Step = step,
                TotalSteps = TotalSteps,
                Loss = 1.0 / step,
                LearningRate = 1e-3,
                CheckpointStep = step,
                EvalMetrics = { ["valid_cer"] = 0.5 / step },
            });
        }

        if (FailWith is not null)
        {
            throw FailWith;
        }

        var bundlePath = Path.Combine(context.WorkDirectory, BundleFile);
        TestData.Bundle(spec, context.JobId).WriteToFile(bundlePath);
        return new JobResult
        {
            OutputPath = bundlePath,
            BundleDigest = "sha256:" + Sha256Digest.OfFile(bundlePath),
            Metrics = { ["test_cer"] = 0.125 },
        };
    }
}

internal sealed record RunnerCall(string JobId, string WorkDirectory, long ResumedFromStep);
