using System.Numerics;
using System.Runtime.InteropServices;
using S3Router.Core.Errors;
using S3Router.Core.Masks;

namespace S3Router.Core.Analysis;

/// <summary>
/// How two binary masks over the same elements overlap: kept in both (<see cref="Intersection"/>), kept in either
/// (<see cref="Union"/>) and the element count. Overlaps of several tensors add up, so a layer's or a whole model's
/// similarity weighs every element equally (sums of counts, not a mean of per-tensor ratios).
/// </summary>
/// <param name="Intersection">Elements kept by both masks, |A∩B|.</param>
/// <param name="Union">Elements kept by either mask, |A∪B|.</param>
/// <param name="ElementCount">Elements compared.</param>
public readonly record struct MaskOverlap(long Intersection, long Union, long ElementCount)
{
    /// <summary>Elements kept by exactly one mask: the Hamming distance, <c>Union - Intersection</c>.</summary>
    public long Differing => Union - Intersection;

    /// <summary>Jaccard index of the kept sets, |A∩B| / |A∪B|, in [0, 1]; 1 when both keep nothing (equal sets); NaN for no elements.</summary>
    public double Jaccard => ElementCount == 0 ? double.NaN : Union == 0 ? 1.0 : (double)Intersection / Union;

    /// <summary>Hamming similarity, <c>1 - Differing / ElementCount</c>, in [0, 1]: the fraction of elements on which the masks agree; NaN for no elements.</summary>
    public double Hamming => ElementCount == 0 ? double.NaN : 1.0 - (double)Differing / ElementCount;

    /// <summary>The overlap of two sets of elements taken together.</summary>
    public static MaskOverlap operator +(MaskOverlap a, MaskOverlap b) =>
        new(a.Intersection + b.Intersection, a.Union + b.Union, a.ElementCount + b.ElementCount);

    /// <summary>The overlap of a mask with itself.</summary>
    public static MaskOverlap Self(MaskTensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return new(mask.KeptCount, mask.KeptCount, mask.ElementCount);
    }

    /// <summary>Compares two masks of the same parameter, 64 bits at a time with popcount.</summary>
    /// <exception cref="FailedPreconditionException">The masks have different shapes (they cannot be over the same backbone parameter).</exception>
    public static MaskOverlap Of(MaskTensor a, MaskTensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.Shape.SequenceEqual(b.Shape))
        {
            throw new FailedPreconditionException(
                $"masks '{a.Name}' [{string.Join(", ", a.Shape)}] and '{b.Name}' [{string.Join(", ", b.Shape)}] have different shapes; only masks of the same backbone parameter can be compared");
        }

        var (intersection, union) = Count(a.Packed, b.Packed);
        return new(intersection, union, a.ElementCount);
    }

    /// <summary>Popcounts of AND and OR over two packed masks of equal length (padding bits are zero, so they count nothing).</summary>
    internal static (long And, long Or) Count(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long and = 0, or = 0;
        var words = a.Length / sizeof(ulong);
        var wa = MemoryMarshal.Cast<byte, ulong>(a[..(words * sizeof(ulong))]);
        var wb = MemoryMarshal.Cast<byte, ulong>(b[..(words * sizeof(ulong))]);
        for (var i = 0; i < wa.Length; i++)
        {
            and += BitOperations.PopCount(wa[i] & wb[i]);
            or += BitOperations.PopCount(wa[i] | wb[i]);
        }

        for (var i = words * sizeof(ulong); i < a.Length; i++)
        {
            and += BitOperations.PopCount((uint)(a[i] & b[i]));
            or += BitOperations.PopCount((uint)(a[i] | b[i]));
        }

        return (and, or);
    }
}
