using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Tests.Onnx;

public sealed class OnnxSessionsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CreateSessionOptions_CpuMemoryArena_SetsEnableCpuMemArena(bool arena)
    {
        // Arrange
        var options = new OnnxEngineOptions { IntraOpThreads = 3, CpuMemoryArena = arena };

        // Act
        using var sessionOptions = OnnxSessions.CreateSessionOptions(options);

        // Assert
        Assert.Equal(arena, sessionOptions.EnableCpuMemArena);
        Assert.Equal(3, sessionOptions.IntraOpNumThreads);
    }

    [Fact]
    public void WithCpuMemoryArena_OtherSettings_KeptInTheCopy()
    {
        // Arrange
        var options = new OnnxEngineOptions { IntraOpThreads = 4, Spinning = OnnxSpinning.Never, CudaDeviceId = 2, CpuMemoryArena = false };

        // Act
        var copy = options.WithCpuMemoryArena(true);

        // Assert: the copy has the arena, the original is unchanged.
        Assert.True(copy.CpuMemoryArena);
        Assert.False(options.CpuMemoryArena);
        Assert.Equal((4, OnnxSpinning.Never, 2), (copy.IntraOpThreads, copy.Spinning, copy.CudaDeviceId));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CreateSessionOptions_MemoryPattern_SetsEnableMemoryPattern(bool pattern)
    {
        // Arrange
        var options = new OnnxEngineOptions { MemoryPattern = pattern };

        // Act
        using var sessionOptions = OnnxSessions.CreateSessionOptions(options);

        // Assert
        Assert.Equal(pattern, sessionOptions.EnableMemoryPattern);
    }

    [Fact]
    public void ForPinnedSession_ArenaAndPatternOff_BothOnOtherSettingsKept()
    {
        // Arrange: route sessions without arena and pattern.
        var options = new OnnxEngineOptions { IntraOpThreads = 4, Spinning = OnnxSpinning.Never, CpuMemoryArena = false, MemoryPattern = false };

        // Act
        var copy = options.ForPinnedSession();

        // Assert: the pinned sessions keep both; the original is unchanged.
        Assert.True(copy.CpuMemoryArena);
        Assert.True(copy.MemoryPattern);
        Assert.False(options.MemoryPattern);
        Assert.Equal((4, OnnxSpinning.Never), (copy.IntraOpThreads, copy.Spinning));
    }
}
