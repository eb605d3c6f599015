using System.Buffers;
using System.Runtime.InteropServices;

namespace S3Router.Core.Safetensors;

/// <summary>
/// The bytes of an F32 tensor (a slice of a byte array) seen as floats without a copy. Safetensors is little-endian,
/// so this is only for little-endian hosts; offsets need no alignment (the platforms we run on load floats unaligned).
/// </summary>
internal sealed class Float32Memory : MemoryManager<float>
{
    private readonly byte[] _array;
    private readonly int _offset;
    private readonly int _length; // floats

    private Float32Memory(byte[] array, int offset, int length)
    {
        _array = array;
        _offset = offset;
        _length = length;
    }

    /// <summary>
    /// <paramref name="bytes"/> as floats when it is a slice of an array, of whole floats, on a little-endian host;
    /// otherwise false (the caller copies).
    /// </summary>
    public static bool TryCreate(ReadOnlyMemory<byte> bytes, out ReadOnlyMemory<float> floats)
    {
        floats = default;
        if (!BitConverter.IsLittleEndian || bytes.Length % sizeof(float) != 0
            || !MemoryMarshal.TryGetArray(bytes, out var segment) || segment.Array is null)
        {
            return false;
        }

        floats = new Float32Memory(segment.Array, segment.Offset, bytes.Length / sizeof(float)).Memory;
        return true;
    }

    public override Span<float> GetSpan() => MemoryMarshal.Cast<byte, float>(_array.AsSpan(_offset, _length * sizeof(float)));

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        var handle = GCHandle.Alloc(_array, GCHandleType.Pinned);
        return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + _offset + ((long)elementIndex * sizeof(float)), handle);
    }

    public override void Unpin()
    {
        // The handle returned by Pin is freed when that MemoryHandle is disposed.
    }

    protected override void Dispose(bool disposing)
    {
        // Nothing owned: the array belongs to the bundle that holds this view.
    }
}
