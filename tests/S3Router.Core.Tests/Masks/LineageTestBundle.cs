using S3Router.Core.Masks;

namespace S3Router.Core.Tests.Masks;

/// <summary>The smallest valid bundle around a lineage, for the tests of single lineage fields.</summary>
internal static class LineageTestBundle
{
    private const string Digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    public static MaskBundle With(MaskLineage lineage) => new()
    {
        Task = "speaker",
        BackboneDigest = Digest,
        HeadKind = MaskHeadKind.Classifier,
        Labels = ["a", "b"],
        Masks = [],
        Heads = [new HeadTensor("head.proj.weight", [2, 2], new float[4]), new HeadTensor("head.proj.bias", [2], new float[2])],
        Lineage = lineage,
    };
}
