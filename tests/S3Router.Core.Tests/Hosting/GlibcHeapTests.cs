using S3Router.Core.Hosting;

namespace S3Router.Core.Tests.Hosting;

public sealed class GlibcHeapTests
{
    // The policy is process-wide and sticky, so the whole sequence is one test (no other Core test touches it).
    [Fact]
    public void Policies_TrainingThenInferenceInOneProcess_InferencePolicyStays()
    {
        // Arrange
        Assert.SkipUnless(OperatingSystem.IsLinux(), "glibc malloc only");

        // Act
        var trainingFirst = GlibcHeap.KeepFreedMemory();
        var trainingAgain = GlibcHeap.KeepFreedMemory();
        var inference = GlibcHeap.ReturnFreedMemory();
        var trainingAfterInference = GlibcHeap.KeepFreedMemory();
        var inferenceAgain = GlibcHeap.ReturnFreedMemory();

        // Assert: Debian's glibc accepts every mallopt value used (it returns 0 for a wrong parameter or value).
        Assert.True(trainingFirst);
        Assert.True(trainingAgain);
        Assert.True(inference);
        Assert.False(trainingAfterInference);
        Assert.True(inferenceAgain);
    }
}
