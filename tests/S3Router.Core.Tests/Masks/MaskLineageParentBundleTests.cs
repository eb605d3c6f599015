using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;

namespace S3Router.Core.Tests.Masks;

public sealed class MaskLineageParentBundleTests
{
    private const string Digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Parent = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    private static MaskBundle Bundle(string parent) => new()
    {
        Task = "asr",
        BackboneDigest = Digest,
        HeadKind = MaskHeadKind.Ctc,
        Labels = ["<blank>", "|", "a"],
        Masks = [MaskTensor.FromBits("encoder.layers.0.attention.out_proj.weight", [2, 2], [true, false, false, true])],
        Heads = [new HeadTensor("head.proj.weight", [3, 2], new float[6]), new HeadTensor("head.proj.bias", [3], new float[3])],
        Lineage = new MaskLineage { JobId = "j", PruneRate = 0.7, InitScore = "structured_magnitude", ParentBundleDigest = parent },
    };

    [Fact]
    public void ReadWrite_ParentBundleDigest_RoundTrips()
    {
        var read = MaskBundle.Read(Bundle(Parent).ToBytes());

        Assert.Equal(Parent, read.Lineage.ParentBundleDigest);
    }

    [Fact]
    public void ToBytes_NoParentBundle_OmitsTheKey()
    {
        var bytes = Bundle("").ToBytes();

        using var file = SafetensorsFile.FromBytes(bytes);
        Assert.DoesNotContain("parent_bundle_digest", file.Metadata["lineage"]);
        Assert.Equal("", MaskBundle.Read(bytes).Lineage.ParentBundleDigest);
    }

    [Fact]
    public void ToBytes_ParentBundleDigestNotHex_IsInvalid()
    {
        var error = Assert.Throws<InvalidInputException>(() => Bundle("sha256:" + Parent).ToBytes());

        Assert.Contains("parent bundle digest", error.Message);
    }
}
