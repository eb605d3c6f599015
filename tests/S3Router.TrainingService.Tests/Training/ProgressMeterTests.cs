using Microsoft.Extensions.Time.Testing;
using S3Router.TrainingService.Training;

namespace S3Router.TrainingService.Tests.Training;

public sealed class ProgressMeterTests
{
    [Fact]
    public void At_ResumedRun_ThroughputAndEtaCountOnlyThisRunsSteps()
    {
        var time = new FakeTimeProvider();
        var meter = new ProgressMeter(time, firstStep: 10, totalSteps: 30);
        time.Advance(TimeSpan.FromSeconds(20));

        var progress = meter.At(completed: 20, loss: 0.5, learningRate: 1e-3, examples: 40, checkpointStep: 15,
            new Dictionary<string, double> { ["valid_cer"] = 0.25 });

        Assert.Equal((20L, 30L, 15L), (progress.Step, progress.TotalSteps, progress.CheckpointStep));
        Assert.Equal(2.0, progress.ExamplesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(20), progress.Eta.ToTimeSpan()); // 2 s a step, 10 steps left
        Assert.Equal(0.25, progress.EvalMetrics["valid_cer"]);
    }

    [Fact]
    public void At_NoTimeElapsed_ZeroThroughput()
    {
        var meter = new ProgressMeter(new FakeTimeProvider(), firstStep: 0, totalSteps: 5);

        var progress = meter.At(completed: 1, loss: 1, learningRate: 0, examples: 8, checkpointStep: 0, new Dictionary<string, double>());

        Assert.Equal(0, progress.ExamplesPerSecond);
        Assert.Equal(TimeSpan.Zero, progress.Eta.ToTimeSpan());
    }
}
