using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Pruning;
using S3Router.Core.Safetensors;

namespace S3Router.Core.Tests.Masks;

public sealed class MaskBundleOptionalKeysTests
{
    private const string Digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static MaskBundle Bundle(TokenDroppingSettings? dropping = null, StructuredPruningInfo? structured = null) => new()
    {
        TokenDropping = dropping,
        StructuredPruning = structured,
        Task = "asr",
        BackboneDigest = Digest,
        HeadKind = MaskHeadKind.Ctc,
        Labels = ["<blank>", "|", "a"],
        Masks = [MaskTensor.FromBits("encoder.layers.0.attention.out_proj.weight", [2, 4], [true, true, false, false, true, true, false, false])],
        Heads = [new HeadTensor("head.proj.weight", [3, 2], new float[6]), new HeadTensor("head.proj.bias", [3], new float[3])],
    };

    [Fact]
    public void ReadWrite_TokenDroppingAndStructuredPruning_RoundTrip()
    {
        // Arrange
        var bundle = Bundle(
            new TokenDroppingSettings { SilenceDbfs = -40.5, RepeatCosine = 0.99, MarginFrames = 2 },
            new StructuredPruningInfo
            {
                Method = "magnitude",
                ComputeKeepTarget = 0.6,
                ComputeKeep = 0.58,
                Shape = new StructuredShape { ConvChannels = [10, 12], Heads = [1, 2], FfnUnits = [30, 40] },
            });

        // Act
        var read = MaskBundle.Read(bundle.ToBytes());

        // Assert
        Assert.Equal(bundle.TokenDropping, read.TokenDropping);
        Assert.Equal("magnitude", read.StructuredPruning!.Method);
        Assert.Equal(0.58, read.StructuredPruning.ComputeKeep);
        Assert.Equal([1, 2], read.StructuredPruning.Shape.Heads);
        Assert.Equal([10, 12], read.StructuredPruning.Shape.ConvChannels);
        Assert.Equal([30, 40], read.StructuredPruning.Shape.FfnUnits);
    }

    [Fact]
    public void ToBytes_WithoutOptionalKeys_WritesNeitherKey()
    {
        var bytes = Bundle().ToBytes();

        using var file = SafetensorsFile.FromBytes(bytes);
        Assert.DoesNotContain("token_dropping", file.Metadata.Keys);
        Assert.DoesNotContain("structured_pruning", file.Metadata.Keys);
        Assert.Null(MaskBundle.Read(bytes).TokenDropping);
    }

    [Fact]
    public void ToBytes_TokenDroppingOutOfRange_IsInvalid()
    {
        var bundle = Bundle(new TokenDroppingSettings { RepeatCosine = 1.5 });

        var error = Assert.Throws<InvalidInputException>(() => bundle.ToBytes());

        Assert.Equal("token_dropping", Assert.Single(error.Violations).Field);
    }
}
