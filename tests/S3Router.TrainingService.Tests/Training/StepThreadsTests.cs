using S3Router.TrainingService.Training;
using S3Router.TrainingService.Training.Checkpoints;

namespace S3Router.TrainingService.Tests.Training;

public sealed class StepThreadsTests
{
    private const long MaxSteps = 100;

    [Fact]
    public void StepThreads_FreshJob_CurrentCount()
    {
        // Act
        var recorded = JobRunner.StepThreads(resumed: null, threads: 2, MaxSteps);

        // Assert
        Assert.Equal(2, recorded);
    }

    [Theory]
    [InlineData(2, 50, 2, 2)] // resumed with the same count: still one count
    [InlineData(1, 50, 2, 0)] // steps left, another count: mixed, no single count reproduces it
    [InlineData(0, 50, 2, 0)] // a checkpoint that did not record its count, steps left
    [InlineData(2, MaxSteps, 1, 2)] // finished: no step runs now, the result is the checkpoint's
    [InlineData(0, MaxSteps, 1, 0)] // finished under an unrecorded count: still unknown, not this process's count
    public void StepThreads_Resumed_CountEveryStepRanWithOrZero(int checkpointThreads, long checkpointStep, int threads, int expected)
    {
        // Arrange
        var state = new TrainingState { Step = checkpointStep, TorchThreads = checkpointThreads };

        // Act
        var recorded = JobRunner.StepThreads(state, threads, MaxSteps);

        // Assert
        Assert.Equal(expected, recorded);
    }
}
