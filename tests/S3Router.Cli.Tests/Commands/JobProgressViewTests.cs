using S3Router.Api.V1;
using S3Router.Cli.Commands;

namespace S3Router.Cli.Tests.Commands;

public sealed class JobProgressViewTests
{
    [Fact]
    public void Line_JobCachingFeatures_SaysSoWithItsCount()
    {
        // Arrange
        var job = Job(new JobProgress { Step = 0, TotalSteps = 4000, Phase = "caching_features", PhaseDone = 512, PhaseTotal = 2160 });

        // Act
        var line = JobProgressView.Line(job);

        // Assert
        Assert.Equal("intent/en RUNNING step 0/4000 caching features 512/2160", line);
    }

    [Fact]
    public void Line_JobStepping_ShowsLossAndNoPhase()
    {
        // Arrange
        var job = Job(new JobProgress { Step = 10, TotalSteps = 4000, Loss = 1.5, LearningRate = 0.01, ExamplesPerSecond = 20 });

        // Act
        var line = JobProgressView.Line(job);

        // Assert
        Assert.StartsWith("intent/en RUNNING step 10/4000 loss 1.5000 lr 1e-2 20 ex/s", line);
        Assert.DoesNotContain("caching", line);
    }

    private static Job Job(JobProgress progress) => new()
    {
        Id = "job-1",
        Spec = new JobSpec { Task = "intent", LanguageCode = "en" },
        State = JobState.Running,
        Progress = progress,
    };
}
