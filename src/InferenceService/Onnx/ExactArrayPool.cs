namespace S3Router.InferenceService.Onnx;

/// <summary>
/// Arrays of exact lengths kept for reuse, up to <c>capacityBytes</c> in all (the oldest returned go first). Session
/// builds of one backbone need the same sizes again and again (masked weights, the serialised model), and each is
/// several MB: reusing them keeps that garbage out of the large object heap, which the GC does not hand back promptly.
/// Thread-safe.
/// </summary>
internal sealed class ExactArrayPool<T>(long capacityBytes)
    where T : unmanaged
{
    private readonly Lock _lock = new();
    private readonly LinkedList<T[]> _free = new(); // most recently returned last
    private long _retainedBytes;

    /// <summary>Bytes held for reuse now.</summary>
    public long RetainedBytes
    {
        get
        {
            lock (_lock)
            {
                return _retainedBytes;
            }
        }
    }

    /// <summary>An array of exactly <paramref name="length"/> elements, contents undefined.</summary>
    public T[] Rent(int length)
    {
        lock (_lock)
        {
            for (var node = _free.Last; node is not null; node = node.Previous)
            {
                if (node.Value.Length == length)
                {
                    _free.Remove(node);
                    _retainedBytes -= Bytes(node.Value);
                    return node.Value;
                }
            }
        }

        return GC.AllocateUninitializedArray<T>(length);
    }

    /// <summary>Gives <paramref name="array"/> back; nothing may use it afterwards.</summary>
    public void Return(T[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (Bytes(array) > capacityBytes)
        {
            return;
        }

        lock (_lock)
        {
            _free.AddLast(array);
            _retainedBytes += Bytes(array);
            while (_retainedBytes > capacityBytes)
            {
                _retainedBytes -= Bytes(_free.First!.Value);
                _free.RemoveFirst();
            }
        }
    }

    /// <summary>Drops every array held for reuse (the next rents allocate anew); returns the bytes dropped.</summary>
    public long Clear()
    {
        lock (_lock)
        {
            var dropped = _retainedBytes;
            _free.Clear();
            _retainedBytes = 0;
            return dropped;
        }
    }

    private static long Bytes(T[] array) => (long)array.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
}
