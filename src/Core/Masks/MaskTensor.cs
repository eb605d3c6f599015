using S3Router.Core.Errors;

namespace S3Router.Core.Masks;

/// <summary>
/// The binary mask of one backbone parameter, bit-packed as <see cref="MaskBits"/> describes.
/// <see cref="Name"/> is the parameter name (<c>encoder.layers.0.feed_forward.intermediate_dense.weight</c>),
/// <see cref="Shape"/> the parameter's (logical) shape.
/// </summary>
public sealed class MaskTensor
{
    private readonly ReadOnlyMemory<byte> _packed;

    private MaskTensor(string name, long[] shape, long elementCount, ReadOnlyMemory<byte> packed)
    {
        Name = name;
        Shape = shape;
        ElementCount = elementCount;
        _packed = packed;
        KeptCount = MaskBits.PopCount(packed.Span);
    }

    /// <summary>The masked parameter's name.</summary>
    public string Name { get; }

    /// <summary>The masked parameter's shape, row-major.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Number of elements (product of <see cref="Shape"/>), at least 1.</summary>
    public long ElementCount { get; }

    /// <summary>Number of kept (set) elements.</summary>
    public long KeptCount { get; }

    /// <summary>Fraction of elements kept, <c>KeptCount / ElementCount</c>, in [0, 1].</summary>
    public double KeepRatio => (double)KeptCount / ElementCount;

    /// <summary>The packed bits, <c>ceil(ElementCount / 8)</c> bytes.</summary>
    public ReadOnlySpan<byte> Packed => _packed.Span;

    /// <summary>Creates a mask from one bool per element (true = kept), row-major.</summary>
    /// <exception cref="InvalidInputException">Empty name, non-positive dimension, or element count not matching the shape.</exception>
    public static MaskTensor FromBits(string name, IReadOnlyList<long> shape, ReadOnlySpan<bool> bits)
    {
        var count = CheckShape(name, shape);
        if (bits.Length != count)
        {
            throw new InvalidInputException(
                $"mask '{name}' has {bits.Length} elements, shape [{string.Join(", ", shape)}] needs {count}", name);
        }

        return new MaskTensor(name, [.. shape], count, MaskBits.Pack(bits));
    }

    /// <summary>Creates a mask from packed bits; the bytes are copied.</summary>
    /// <exception cref="InvalidInputException">Bad name or shape, wrong byte length, or non-zero padding bits.</exception>
    public static MaskTensor FromPacked(string name, IReadOnlyList<long> shape, ReadOnlySpan<byte> packed)
    {
        var count = CheckShape(name, shape);
        MaskBits.Validate(packed, count, name);
        return new MaskTensor(name, [.. shape], count, packed.ToArray());
    }

    /// <summary>
    /// A mask over <paramref name="packed"/> without a copy (a bundle read in place): the memory must not change
    /// while the mask lives.
    /// </summary>
    /// <exception cref="InvalidInputException">Bad name or shape, wrong byte length, or non-zero padding bits.</exception>
    internal static MaskTensor Over(string name, IReadOnlyList<long> shape, ReadOnlyMemory<byte> packed)
    {
        var count = CheckShape(name, shape);
        MaskBits.Validate(packed.Span, count, name);
        return new MaskTensor(name, [.. shape], count, packed);
    }

    /// <summary>One bool per element, row-major.</summary>
    public bool[] Unpack() => MaskBits.Unpack(_packed.Span, ElementCount);

    private static long CheckShape(string name, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (string.IsNullOrEmpty(name))
        {
            throw new InvalidInputException("a mask needs a parameter name", "name");
        }

        long count = 1;
        foreach (var dim in shape)
        {
            if (dim <= 0 || count > Array.MaxLength / dim)
            {
                throw new InvalidInputException(
                    $"mask '{name}' has shape [{string.Join(", ", shape)}]: dimensions must be positive and the mask at most {Array.MaxLength} elements", name);
            }

            count *= dim;
        }

        return count;
    }
}
