using System.Numerics;
using S3Router.Core.Errors;

namespace S3Router.Core.Masks;

/// <summary>
/// Bit packing of binary masks: elements in row-major order, bit <c>i</c> (LSB first) of byte <c>j</c> holds element
/// <c>8j + i</c>. The last byte is padded with zero bits when the element count is not a multiple of 8, so a mask of
/// n elements takes <c>ceil(n / 8)</c> bytes. Example: [1,0,0,0,0,0,0,0, 1,1] packs to 0x01, 0x03.
/// </summary>
public static class MaskBits
{
    /// <summary>Bytes needed for <paramref name="elementCount"/> bits: <c>ceil(n / 8)</c>.</summary>
    /// <exception cref="InvalidInputException">The count is negative or the packed mask would not fit in one array.</exception>
    public static int PackedLength(long elementCount)
    {
        if (elementCount < 0 || (elementCount + 7) / 8 > Array.MaxLength)
        {
            throw new InvalidInputException($"a mask of {elementCount} elements cannot be packed");
        }

        return (int)((elementCount + 7) / 8);
    }

    /// <summary>Packs a boolean mask (true = weight kept).</summary>
    public static byte[] Pack(ReadOnlySpan<bool> mask)
    {
        var packed = new byte[PackedLength(mask.Length)];
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i])
            {
                packed[i >> 3] |= (byte)(1 << (i & 7));
            }
        }

        return packed;
    }

    /// <summary>Packs a 0/1 float mask, as a trained <c>top-k</c> mask tensor holds it.</summary>
    /// <exception cref="InvalidInputException">A value is neither 0 nor 1.</exception>
    public static byte[] Pack(ReadOnlySpan<float> mask)
    {
        var packed = new byte[PackedLength(mask.Length)];
        for (var i = 0; i < mask.Length; i++)
        {
            var value = mask[i];
            if (value == 1f)
            {
                packed[i >> 3] |= (byte)(1 << (i & 7));
            }
            else if (value != 0f)
            {
                throw new InvalidInputException($"mask element {i} is {value}, expected 0 or 1");
            }
        }

        return packed;
    }

    /// <summary>Unpacks <paramref name="elementCount"/> elements.</summary>
    /// <exception cref="InvalidInputException">The byte length is not <c>ceil(n / 8)</c> or a padding bit is set.</exception>
    public static bool[] Unpack(ReadOnlySpan<byte> packed, long elementCount)
    {
        Validate(packed, elementCount, name: null);
        var mask = new bool[elementCount];
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = (packed[i >> 3] & (1 << (i & 7))) != 0;
        }

        return mask;
    }

    /// <summary>Unpacks into 1f (kept) / 0f (pruned) values, one per element of <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidInputException">The byte length does not match the destination or a padding bit is set.</exception>
    public static void UnpackTo(ReadOnlySpan<byte> packed, Span<float> destination)
    {
        Validate(packed, destination.Length, name: null);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (packed[i >> 3] >> (i & 7)) & 1;
        }
    }

    /// <summary>Number of set bits (kept elements). Padding bits are zero in a valid mask, so they do not count.</summary>
    public static long PopCount(ReadOnlySpan<byte> packed)
    {
        long count = 0;
        while (packed.Length >= sizeof(ulong))
        {
            count += BitOperations.PopCount(BitConverter.ToUInt64(packed));
            packed = packed[sizeof(ulong)..];
        }

        foreach (var b in packed)
        {
            count += BitOperations.PopCount(b);
        }

        return count;
    }

    /// <summary>Checks the byte length and that the padding bits of the last byte are zero.</summary>
    internal static void Validate(ReadOnlySpan<byte> packed, long elementCount, string? name)
    {
        var what = name is null ? "packed mask" : $"mask '{name}'";
        var expected = PackedLength(elementCount);
        if (packed.Length != expected)
        {
            throw new InvalidInputException(
                $"{what} has {packed.Length} bytes, expected {expected} for {elementCount} elements", name);
        }

        var usedBits = (int)(elementCount % 8);
        if (usedBits != 0 && (packed[^1] >> usedBits) != 0)
        {
            throw new InvalidInputException($"{what} has non-zero padding bits after element {elementCount - 1}", name);
        }
    }
}
