using Google.Protobuf.WellKnownTypes;
using S3Router.Api.V1;

namespace S3Router.TrainingService.Training;

/// <summary>
/// Builds each step's <see cref="JobProgress"/> for a training loop (finetuning and pretraining). Throughput and ETA
/// count from the meter's creation and over this run's steps only, so a job resumed at <paramref name="firstStep"/>
/// does not count the steps its checkpoint already holds.
/// </summary>
internal sealed class ProgressMeter(TimeProvider timeProvider, long firstStep, long totalSteps)
{
    private readonly long _started = timeProvider.GetTimestamp();

    /// <summary>Progress after <paramref name="completed"/> steps that trained on <paramref name="examples"/> utterances in this run.</summary>
    public JobProgress At(
        long completed, double loss, double learningRate, long examples, long checkpointStep, IDictionary<string, double> evalMetrics)
    {
        var elapsed = timeProvider.GetElapsedTime(_started);
        var progress = new JobProgress
        {
            Step = completed,
            TotalSteps = totalSteps,
            Loss = loss,
            LearningRate = learningRate,
            ExamplesPerSecond = elapsed > TimeSpan.Zero ? examples / elapsed.TotalSeconds : 0,
            Eta = Duration.FromTimeSpan(elapsed / (completed - firstStep) * (totalSteps - completed)),
            CheckpointStep = checkpointStep,
        };
        progress.EvalMetrics.Add(evalMetrics);
        return progress;
    }
}
