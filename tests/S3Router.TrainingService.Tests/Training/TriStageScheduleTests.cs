using S3Router.TrainingService.Training;

namespace S3Router.TrainingService.Tests.Training;

public sealed class TriStageScheduleTests
{
    [Fact]
    public void At_StagesOfHundredSteps_WarmsUpHoldsAndDecaysToFinalScale()
    {
        // Arrange: 10 warmup, 40 hold, 50 decay steps.
        var schedule = new TriStageSchedule(1e-3, 100, 0.1, 0.4, 0.5);

        // Act + Assert
        Assert.Equal(1e-5, schedule.At(0), 12);
        Assert.Equal(1e-5 + (0.5 * (1e-3 - 1e-5)), schedule.At(5), 12);
        Assert.Equal(1e-3, schedule.At(10), 12);
        Assert.Equal(1e-3, schedule.At(49), 12);
        Assert.Equal(1e-3 * Math.Sqrt(0.05), schedule.At(75), 12);
        Assert.Equal(5e-5, schedule.At(100), 12);
        Assert.Equal(5e-5, schedule.At(1000), 12);
    }
}
