using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Tests.Onnx;

[Collection(NativeMemoryCollection.Name)]
public sealed class NativeHeapTests
{
    [Fact]
    public void ReturnFreedMemory_OnLinuxWithGlibc_IsAccepted()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "glibc malloc only");

        // mallopt returns 0 for an unknown parameter or a value out of range, so a wrong constant fails here.
        var applied = NativeHeap.ReturnFreedMemory();

        Assert.True(applied);
    }
}
