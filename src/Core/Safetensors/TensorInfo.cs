namespace S3Router.Core.Safetensors;

/// <summary>
/// One tensor entry of a safetensors header.
/// </summary>
/// <param name="Name">Tensor name, e.g. <c>encoder.layers.0.feed_forward.intermediate_dense.weight</c>.</param>
/// <param name="Dtype">Element type.</param>
/// <param name="Shape">Dimensions, row-major; empty for a scalar.</param>
/// <param name="DataOffsets">Byte range [Begin, End) relative to the start of the data buffer (after the header).</param>
public sealed record TensorInfo(
    string Name, SafetensorsDtype Dtype, IReadOnlyList<long> Shape, (long Begin, long End) DataOffsets)
{
    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (var dim in Shape)
            {
                count *= dim;
            }

            return count;
        }
    }

    /// <summary>Size of the data in bytes (<c>End - Begin</c>).</summary>
    public long ByteLength => DataOffsets.End - DataOffsets.Begin;
}
