using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;

namespace S3Router.Core.Tests.Masks;

public sealed class MaskLineageTorchThreadsTests
{
    private static MaskBundle Bundle(int threads) =>
        LineageTestBundle.With(new MaskLineage { JobId = "j", PruneRate = 1, TorchThreads = threads });

    [Fact]
    public void ReadWrite_TorchThreads_RoundTrips()
    {
        // Act
        var read = MaskBundle.Read(Bundle(2).ToBytes());

        // Assert
        Assert.Equal(2, read.Lineage.TorchThreads);
    }

    [Fact]
    public void ToBytes_ThreadsNotRecorded_OmitsTheKey()
    {
        // Act
        var bytes = Bundle(0).ToBytes();

        // Assert
        using var file = SafetensorsFile.FromBytes(bytes);
        Assert.DoesNotContain("torch_threads", file.Metadata["lineage"]);
        Assert.Equal(0, MaskBundle.Read(bytes).Lineage.TorchThreads);
    }

    [Fact]
    public void ToBytes_NegativeThreads_IsInvalid()
    {
        // Act
        var error = Assert.Throws<InvalidInputException>(() => Bundle(-1).ToBytes());

        // Assert
        Assert.Contains("torch_threads", error.Message);
    }
}
