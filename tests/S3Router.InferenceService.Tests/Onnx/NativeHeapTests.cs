using System.Runtime.InteropServices;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Tests.Onnx;

[Collection(NativeMemoryCollection.Name)]
public sealed class NativeHeapTests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public void ReturnFreedMemory_AfterALargeBlockIsFreed_TheNextLargeBlockIsStillItsOwnMapping()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "glibc malloc only");

        // Arrange: with glibc's default, freeing this mapped 8 MiB block raises the mmap threshold to 8 MiB, and the
        // next session's blocks come from the arenas, whose freed memory stays resident.
        var applied = NativeHeap.ReturnFreedMemory();
        Marshal.FreeHGlobal(Marshal.AllocHGlobal(8 * MiB)); // malloc and free on Unix
        var mappedBefore = (long)MallInfo2().Hblkhd;

        // Act
        var block = Marshal.AllocHGlobal(4 * MiB);
        var mappedWhileHeld = (long)MallInfo2().Hblkhd;
        Marshal.FreeHGlobal(block);

        // Assert: the 4 MiB block was mapped on its own (so freeing it unmaps it).
        Assert.True(applied);
        Assert.True(mappedWhileHeld - mappedBefore >= 4 * MiB, $"mapped bytes grew by {mappedWhileHeld - mappedBefore}, expected at least {4 * MiB}");
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2Struct MallInfo2();

    // struct mallinfo2 (glibc ≥ 2.33): ten size_t fields summed over all arenas; hblkhd = bytes in mmapped blocks.
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2Struct
    {
        public nuint Arena;
        public nuint Ordblks;
        public nuint Smblks;
        public nuint Hblks;
        public nuint Hblkhd;
        public nuint Usmblks;
        public nuint Fsmblks;
        public nuint Uordblks;
        public nuint Fordblks;
        public nuint Keepcost;
    }
}
