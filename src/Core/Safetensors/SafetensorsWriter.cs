using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using S3Router.Core.Errors;

namespace S3Router.Core.Safetensors;

/// <summary>
/// Builds a safetensors file. Output is deterministic: <c>__metadata__</c> first with keys sorted, then tensors
/// sorted by name (ordinal) and laid out in that order, the header padded with spaces to a multiple of 8 bytes as
/// the reference implementation does. Tensor bytes are copied when added.
/// </summary>
public sealed class SafetensorsWriter
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly SortedDictionary<string, (SafetensorsDtype Dtype, long[] Shape, byte[] Data)> _tensors =
        new(StringComparer.Ordinal);

    private readonly SortedDictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Number of tensors added so far.</summary>
    public int Count => _tensors.Count;

    /// <summary>Adds a tensor from its raw little-endian bytes.</summary>
    /// <exception cref="InvalidInputException">Empty or duplicate name, negative dimension, or a byte length that is not numel × dtype size.</exception>
    public SafetensorsWriter Add(string name, SafetensorsDtype dtype, IReadOnlyList<long> shape, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name.Length == 0 || name == SafetensorsHeader.MetadataKey)
        {
            throw new InvalidInputException($"'{name}' is not a valid tensor name", name);
        }

        if (_tensors.ContainsKey(name))
        {
            throw new InvalidInputException($"tensor '{name}' was already added", name);
        }

        if (!Enum.IsDefined(dtype))
        {
            throw new InvalidInputException($"tensor '{name}': unknown dtype {(int)dtype}", name);
        }

        var expected = ExpectedByteLength(name, shape, dtype.SizeInBytes());
        if (data.Length != expected)
        {
            throw new InvalidInputException(
                $"tensor '{name}': {dtype.ToHeaderName()} shape [{string.Join(", ", shape)}] needs {expected} bytes, got {data.Length}", name);
        }

        _tensors.Add(name, (dtype, shape.ToArray(), data.ToArray()));
        return this;
    }

    /// <summary>Adds an F32 tensor.</summary>
    /// <exception cref="InvalidInputException">As <see cref="Add(string, SafetensorsDtype, IReadOnlyList{long}, ReadOnlySpan{byte})"/>.</exception>
    public SafetensorsWriter AddFloat32(string name, IReadOnlyList<long> shape, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            return Add(name, SafetensorsDtype.F32, shape, MemoryMarshal.AsBytes(values));
        }

        var bytes = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return Add(name, SafetensorsDtype.F32, shape, bytes);
    }

    /// <summary>Sets one <c>__metadata__</c> entry (replacing an earlier value of the same key).</summary>
    public SafetensorsWriter SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
        return this;
    }

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = BuildHeader();
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var (_, tensor) in _tensors)
        {
            stream.Write(tensor.Data);
        }
    }

    /// <summary>Writes the whole file to <paramref name="path"/>, replacing an existing file.</summary>
    public void WriteToFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        WriteTo(stream);
    }

    /// <summary>The whole file as bytes.</summary>
    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    private byte[] BuildHeader()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in _metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, tensor) in _tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", tensor.Dtype.ToHeaderName());
                json.WriteStartArray("shape");
                foreach (var dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        // Pad with spaces so the data buffer starts 8-byte aligned (8 + header length is a multiple of 8).
        while (buffer.Length % 8 != 0)
        {
            buffer.WriteByte((byte)' ');
        }

        return buffer.ToArray();
    }

    private static long ExpectedByteLength(string name, IReadOnlyList<long> shape, int elementSize)
    {
        long count = elementSize;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw new InvalidInputException($"tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension", name);
            }

            if (dim != 0 && count > int.MaxValue / dim)
            {
                throw new InvalidInputException($"tensor '{name}': shape [{string.Join(", ", shape)}] is larger than 2 GB", name);
            }

            count *= dim;
        }

        return count;
    }
}
