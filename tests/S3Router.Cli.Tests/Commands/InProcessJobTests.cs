using S3Router.Api.V1;
using S3Router.Cli.Commands;

namespace S3Router.Cli.Tests.Commands;

public sealed class InProcessJobTests
{
    [Theory]
    [InlineData(2, "AVX2", "libtorch threads: 2, oneDNN level: AVX2 (a rerun gives the same result with S3R_TRAINING_THREADS=2 ONEDNN_MAX_CPU_ISA=AVX2)")]
    [InlineData(2, "", "libtorch threads: 2 (a rerun gives the same result with S3R_TRAINING_THREADS=2)")] // oneDNN at its own level
    [InlineData(0, "AVX2", "oneDNN level: AVX2")] // thread counts mixed by a resume: no rerun gives the same result
    [InlineData(0, "", null)]
    public void ReproducibleWith_RecordedSettings_NamesEachWithItsVariable(int threads, string level, string? expected)
    {
        // Arrange
        var result = new JobResult { TorchThreads = threads, OnednnMaxIsa = level };

        // Act
        var line = InProcessJob.ReproducibleWith(result);

        // Assert
        Assert.Equal(expected, line);
    }
}
