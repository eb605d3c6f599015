using S3Router.TrainingService.Training;
using S3Router.TrainingService.Training.Checkpoints;

namespace S3Router.TrainingService.Tests.Training;

public sealed class OneDnnLevelTests
{
    private const long MaxSteps = 100;

    [Theory]
    [InlineData("AVX2", "AVX2")] // the cap, or the user's choice
    [InlineData("ALL", "ALL")]
    [InlineData(null, "")] // oneDNN's own level
    [InlineData("avx2", "AVX2")] // oneDNN reads the value case-insensitively (checked: avx2 keeps 100 conv1d backward passes finite)
    [InlineData("AVX 2", "")]
    public void RecordedOneDnnLevel_Variable_ItsValueOrEmpty(string? effective, string expected)
    {
        // Act
        var recorded = JobRunner.RecordedOneDnnLevel(effective);

        // Assert
        Assert.Equal(expected, recorded);
    }

    [Fact]
    public void StepOneDnnLevel_FreshJob_CurrentLevel()
    {
        // Act
        var recorded = JobRunner.StepOneDnnLevel(resumed: null, "AVX2", MaxSteps);

        // Assert
        Assert.Equal("AVX2", recorded);
    }

    [Theory]
    [InlineData("AVX2", 50, "AVX2", "AVX2")] // same level
    [InlineData("", 50, "AVX2", "AVX2")] // steps left at another level: the process that finishes the job
    [InlineData(null, 50, "AVX2", "AVX2")] // a checkpoint that did not record its level, steps left
    [InlineData("AVX2", MaxSteps, "", "AVX2")] // finished: no step runs now, the result is the checkpoint's
    [InlineData(null, MaxSteps, "AVX2", "")] // finished at an unrecorded level: still unknown, not this process's
    public void StepOneDnnLevel_Resumed_FinishingLevelOrTheFinishedCheckpoints(string? checkpointLevel, long checkpointStep, string level, string expected)
    {
        // Arrange
        var state = new TrainingState { Step = checkpointStep, OneDnnMaxIsa = checkpointLevel };

        // Act
        var recorded = JobRunner.StepOneDnnLevel(state, level, MaxSteps);

        // Assert
        Assert.Equal(expected, recorded);
    }
}
