using S3Router.TrainingService.Training;

namespace S3Router.TrainingService.Tests.Training;

public sealed class MallocTuningTests
{
    [Fact]
    public void KeepFreedMemory_OnLinuxGlibc_IsAcceptedAndIdempotent()
    {
        // Arrange
        Assert.SkipUnless(OperatingSystem.IsLinux(), "glibc malloc tuning applies on Linux only");

        // Act
        var first = MallocTuning.KeepFreedMemory();
        var second = MallocTuning.KeepFreedMemory();

        // Assert
        Assert.True(first); // Debian's glibc accepts both mallopt settings
        Assert.Equal(first, second);
    }
}
