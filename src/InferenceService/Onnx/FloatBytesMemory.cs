using System.Buffers;
using System.Runtime.InteropServices;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// A float array seen as its bytes (little-endian, the ONNX raw_data convention on the platforms we run on) without a
/// copy: a weight becomes an initializer's raw data as is, and the only copy is the serialised model itself.
/// </summary>
internal sealed class FloatBytesMemory(float[] data) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(data.AsSpan());

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle);
    }

    public override void Unpin()
    {
        // The handle returned by Pin is freed when that MemoryHandle is disposed.
    }

    protected override void Dispose(bool disposing)
    {
        // Nothing owned: the array belongs to the caller.
    }
}
