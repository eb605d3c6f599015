using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using S3Router.Core.Errors;

namespace S3Router.Core.Safetensors;

/// <summary>
/// A read-only safetensors file: 8-byte little-endian header length N, N bytes of JSON header
/// (<c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}</c>), then the data buffer.
/// <see cref="Open"/> memory-maps the file, so a multi-GB checkpoint is never copied into one array;
/// <see cref="FromBytes"/> and <see cref="FromStream"/> read from memory. The header is fully validated on open
/// (offsets must tile the buffer exactly, as in the reference implementation); any violation throws
/// <see cref="SafetensorsFormatException"/>. Dispose to unmap the file; spans from <see cref="GetBytes"/> must not
/// be used after that. Reading concurrently from several threads is safe.
/// Reference: https://github.com/huggingface/safetensors#format
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private const int PrefixLength = 8;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _mappedData;
    private readonly ReadOnlyMemory<byte> _memoryData;
    private bool _disposed;

    private SafetensorsFile(
        Dictionary<string, TensorInfo> tensors, Dictionary<string, string> metadata,
        MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* mappedData, ReadOnlyMemory<byte> memoryData)
    {
        Tensors = tensors;
        Metadata = metadata;
        _map = map;
        _view = view;
        _mappedData = mappedData;
        _memoryData = memoryData;
    }

    /// <summary>Tensor entries by name (the <c>__metadata__</c> entry excluded).</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries; empty when the header has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Memory-maps and validates the file at <paramref name="path"/>.</summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">The file is not valid safetensors.</exception>
    public static SafetensorsFile Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"safetensors file '{path}' does not exist", e);
        }

        using (stream)
        {
            var fileLength = stream.Length;
            var headerLength = ReadHeaderLength(stream, fileLength);
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            var bufferLength = fileLength - PrefixLength - headerLength;
            var (tensors, metadata) = SafetensorsHeader.Parse(header, bufferLength);
            if (bufferLength == 0)
            {
                // Nothing to map (and a view of length 0 cannot be made); every tensor is empty.
                return new SafetensorsFile(tensors, metadata, null, null, null, ReadOnlyMemory<byte>.Empty);
            }

            var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: true);
            MemoryMappedViewAccessor? view = null;
            try
            {
                view = map.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
                byte* pointer = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
                var data = pointer + view.PointerOffset + PrefixLength + headerLength;
                return new SafetensorsFile(tensors, metadata, map, view, data, ReadOnlyMemory<byte>.Empty);
            }
            catch
            {
                view?.Dispose();
                map.Dispose();
                throw;
            }
        }
    }

    /// <summary>Validates <paramref name="bytes"/> as a whole safetensors file; the memory is used without copying.</summary>
    /// <exception cref="SafetensorsFormatException">The bytes are not valid safetensors.</exception>
    public static SafetensorsFile FromBytes(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < PrefixLength)
        {
            throw TooShort(span.Length);
        }

        var headerLength = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(span), span.Length);
        var header = span.Slice(PrefixLength, (int)headerLength).ToArray();
        var data = bytes[(PrefixLength + (int)headerLength)..];
        var (tensors, metadata) = SafetensorsHeader.Parse(header, data.Length);
        return new SafetensorsFile(tensors, metadata, null, null, null, data);
    }

    /// <summary>Reads the rest of <paramref name="stream"/> into memory and validates it. Use <see cref="Open"/> for large files.</summary>
    /// <exception cref="SafetensorsFormatException">The bytes are not valid safetensors.</exception>
    public static SafetensorsFile FromStream(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return FromBytes(copy.GetBuffer().AsMemory(0, (int)copy.Length));
    }

    /// <summary>The raw little-endian bytes of tensor <paramref name="name"/>, without copying.</summary>
    /// <exception cref="NotFoundException">No tensor has that name.</exception>
    /// <exception cref="InvalidInputException">The tensor is 2 GB or larger and cannot be one span.</exception>
    public ReadOnlySpan<byte> GetBytes(string name) => Slice(GetInfo(name));

    /// <summary>
    /// The elements of tensor <paramref name="name"/> as floats, row-major. F32 is copied, F16, BF16 and F64 are converted.
    /// </summary>
    /// <exception cref="NotFoundException">No tensor has that name.</exception>
    /// <exception cref="InvalidInputException">The tensor's dtype is not a float type.</exception>
    public float[] ReadFloat32(string name)
    {
        var info = GetInfo(name);
        var bytes = Slice(info);
        var count = bytes.Length / info.Dtype.SizeInBytes();
        var values = new float[count];
        switch (info.Dtype)
        {
            case SafetensorsDtype.F32 when BitConverter.IsLittleEndian:
                bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
                break;
            case SafetensorsDtype.F32:
                for (var i = 0; i < count; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                }

                break;
            case SafetensorsDtype.F16:
                for (var i = 0; i < count; i++)
                {
                    values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                }

                break;
            case SafetensorsDtype.BF16:
                for (var i = 0; i < count; i++)
                {
                    // bfloat16 is the high half of a float32.
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                }

                break;
            case SafetensorsDtype.F64:
                for (var i = 0; i < count; i++)
                {
                    values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                }

                break;
            default:
                throw new InvalidInputException(
                    $"tensor '{name}' has dtype {info.Dtype.ToHeaderName()}, expected F32, F16, BF16 or F64", name);
        }

        return values;
    }

    /// <summary>Unmaps the file (no-op for in-memory files).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }

        _map?.Dispose();
    }

    private TensorInfo GetInfo(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Tensors.TryGetValue(name, out var info)
            ? info
            : throw new NotFoundException($"tensor '{name}' is not in the safetensors file");
    }

    /// <summary>
    /// The raw bytes of tensor <paramref name="name"/> as a slice of the memory this file was made from
    /// (<see cref="FromBytes"/> only; a mapped file's view ends with the file).
    /// </summary>
    internal ReadOnlyMemory<byte> GetMemory(string name)
    {
        var info = GetInfo(name);
        if (_mappedData is not null)
        {
            throw new InvalidOperationException("A memory-mapped safetensors file has no memory slices; use GetBytes.");
        }

        // Slice checks the length; an empty tensor has offsets in range too.
        var length = Slice(info).Length;
        return _memoryData.Slice((int)info.DataOffsets.Begin, length);
    }

    private ReadOnlySpan<byte> Slice(TensorInfo info)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (info.ByteLength > int.MaxValue)
        {
            throw new InvalidInputException(
                $"tensor '{info.Name}' has {info.ByteLength} bytes, more than one span can hold (2 GB)", info.Name);
        }

        var (begin, length) = (info.DataOffsets.Begin, (int)info.ByteLength);
        if (length == 0)
        {
            return [];
        }

        return _mappedData is not null
            ? new ReadOnlySpan<byte>(_mappedData + begin, length)
            : _memoryData.Span.Slice((int)begin, length);
    }

    private static long ReadHeaderLength(Stream stream, long fileLength)
    {
        if (fileLength < PrefixLength)
        {
            throw TooShort(fileLength);
        }

        Span<byte> prefix = stackalloc byte[PrefixLength];
        stream.ReadExactly(prefix);
        return CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), fileLength);
    }

    private static long CheckHeaderLength(ulong headerLength, long fileLength)
    {
        if (headerLength > SafetensorsHeader.MaxHeaderLength)
        {
            throw new SafetensorsFormatException(
                $"Invalid safetensors file: header length {headerLength} is above the limit of {SafetensorsHeader.MaxHeaderLength} bytes");
        }

        if ((long)headerLength > fileLength - PrefixLength)
        {
            throw new SafetensorsFormatException(
                $"Invalid safetensors file: header length {headerLength} is larger than the {fileLength - PrefixLength} bytes after the length prefix");
        }

        return (long)headerLength;
    }

    private static SafetensorsFormatException TooShort(long length) =>
        new($"Invalid safetensors file: {length} bytes, shorter than the 8-byte header length prefix");
}
