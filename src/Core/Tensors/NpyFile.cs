using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using S3Router.Core.Errors;

namespace S3Router.Core.Tensors;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files of little-endian float32 (<c>&lt;f4</c>), float64 (<c>&lt;f8</c>) and
/// int64 (<c>&lt;i8</c>) arrays in C order: what <c>numpy.save</c> writes for those dtypes and what <c>numpy.load</c>
/// reads. Writing uses format version 1.0 with the header padded so the data starts 64-byte aligned; reading accepts
/// versions 1.0, 2.0 and 3.0. Anything else (another dtype, big-endian, Fortran order, a truncated file) throws
/// <see cref="InvalidInputException"/>.
/// Reference: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
/// </summary>
public static class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int Alignment = 64;

    /// <summary>Writes a float32 array of <paramref name="shape"/> (C order) to <paramref name="path"/>, replacing it.</summary>
    public static void Write(string path, ReadOnlySpan<float> data, IReadOnlyList<long> shape) =>
        WriteFile(path, "<f4", MemoryMarshal.AsBytes(data), data.Length, shape);

    /// <summary>Writes a float64 array of <paramref name="shape"/> (C order) to <paramref name="path"/>, replacing it.</summary>
    public static void Write(string path, ReadOnlySpan<double> data, IReadOnlyList<long> shape) =>
        WriteFile(path, "<f8", MemoryMarshal.AsBytes(data), data.Length, shape);

    /// <summary>Writes an int64 array of <paramref name="shape"/> (C order) to <paramref name="path"/>, replacing it.</summary>
    public static void Write(string path, ReadOnlySpan<long> data, IReadOnlyList<long> shape) =>
        WriteFile(path, "<i8", MemoryMarshal.AsBytes(data), data.Length, shape);

    /// <summary>Writes a float32 matrix [rows, columns] to <paramref name="path"/>, replacing it.</summary>
    public static void Write(string path, float[,] matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var span = matrix.Length == 0 ? [] : MemoryMarshal.CreateReadOnlySpan(ref matrix[0, 0], matrix.Length);
        Write(path, span, [matrix.GetLength(0), matrix.GetLength(1)]);
    }

    /// <summary>Reads a float32 (<c>&lt;f4</c>) array.</summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidInputException">Not a .npy file, or not a little-endian C-order float32 array.</exception>
    public static NpyArray<float> ReadFloat32(string path) => Read<float>(path, "<f4");

    /// <summary>Reads a float64 (<c>&lt;f8</c>) array.</summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidInputException">Not a .npy file, or not a little-endian C-order float64 array.</exception>
    public static NpyArray<double> ReadFloat64(string path) => Read<double>(path, "<f8");

    /// <summary>Reads an int64 (<c>&lt;i8</c>) array.</summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidInputException">Not a .npy file, or not a little-endian C-order int64 array.</exception>
    public static NpyArray<long> ReadInt64(string path) => Read<long>(path, "<i8");

    /// <summary>The header's dtype descriptor (<c>&lt;f4</c>, <c>&lt;f8</c>, <c>&lt;i8</c>, ...) and shape, without reading the data.</summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidInputException">Not a .npy file.</exception>
    public static (string Descr, long[] Shape) ReadHeader(string path)
    {
        var (descr, _, shape, _) = ParseHeader(ReadBytes(path), path);
        return (descr, shape);
    }

    private static void WriteFile(string path, string descr, ReadOnlySpan<byte> bytes, long count, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long expected = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw new InvalidInputException($"Dimension {dim} of shape ({string.Join(", ", shape)}) is negative.", "shape");
            }

            expected *= dim;
        }

        if (expected != count)
        {
            throw new InvalidInputException(
                $"Shape ({string.Join(", ", shape)}) needs {expected} elements; the data has {count}.", "shape");
        }

        // numpy writes a 1-tuple as "(n,)".
        var shapeText = shape.Count == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        var unpadded = Magic.Length + 2 + 2 + dict.Length + 1;
        var headerLength = dict.Length + 1 + ((Alignment - (unpadded % Alignment)) % Alignment);
        if (headerLength > ushort.MaxValue)
        {
            throw new InvalidInputException($"Shape ({string.Join(", ", shape)}) has too many dimensions for a .npy header.", "shape");
        }

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)headerLength);
        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(dict.PadRight(headerLength - 1) + "\n"));
        stream.Write(bytes); // the machine is little-endian (checked by BitConverter in Read)
    }

    private static NpyArray<T> Read<T>(string path, string expectedDescr)
        where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException(".npy support assumes a little-endian machine.");
        }

        var bytes = ReadBytes(path);
        var (descr, fortran, shape, dataStart) = ParseHeader(bytes, path);
        if (descr != expectedDescr)
        {
            throw new InvalidInputException($"{path} holds dtype '{descr}'; expected '{expectedDescr}'.", "descr");
        }

        if (fortran)
        {
            throw new InvalidInputException($"{path} is in Fortran order; only C order is supported.", "fortran_order");
        }

        var size = Marshal.SizeOf<T>();
        long count = 1;
        foreach (var dim in shape)
        {
            count = dim == 0 ? 0 : count > (bytes.Length / size) / dim ? long.MaxValue : count * dim;
        }

        if (count > (bytes.Length - dataStart) / size)
        {
            throw new InvalidInputException(
                $"{path} is truncated: shape ({string.Join(", ", shape)}) needs more than the {bytes.Length - dataStart} data bytes present.", "shape");
        }

        var data = new T[count];
        bytes.AsSpan(dataStart, (int)count * size).CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
        return new NpyArray<T>(data, shape);
    }

    private static byte[] ReadBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"{path} does not exist.", e);
        }
    }

    private static (string Descr, bool Fortran, long[] Shape, int DataStart) ParseHeader(byte[] bytes, string path)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new InvalidInputException($"{path} is not a .npy file (no \\x93NUMPY magic).", "magic");
        }

        var major = bytes[6];
        int headerStart;
        long headerLength;
        switch (major)
        {
            case 1:
                headerStart = 10;
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
                break;
            case 2 or 3 when bytes.Length >= 12:
                headerStart = 12;
                headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
                break;
            default:
                throw new InvalidInputException($"{path} uses .npy format version {major}, which is not supported (1, 2 or 3).", "version");
        }

        if (headerLength > bytes.Length - headerStart)
        {
            throw new InvalidInputException($"{path} is truncated inside its header.", "header");
        }

        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes, headerStart, (int)headerLength);
        var descr = ReadValue(header, "descr", path).Trim('\'', '"');
        var fortran = ReadValue(header, "fortran_order", path) switch
        {
            "False" => false,
            "True" => true,
            var other => throw new InvalidInputException($"{path}: fortran_order is '{other}'.", "fortran_order"),
        };
        var shapeText = ReadValue(header, "shape", path);
        if (!shapeText.StartsWith('(') || !shapeText.EndsWith(')'))
        {
            throw new InvalidInputException($"{path}: shape '{shapeText}' is not a tuple.", "shape");
        }

        var shape = shapeText[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new InvalidInputException($"{path}: shape '{shapeText}' has a bad dimension '{d}'.", "shape"))
            .ToArray();
        return (descr, fortran, shape, headerStart + (int)headerLength);
    }

    // The header is a Python dict literal with three keys; values are a quoted string, a bool or a tuple.
    private static string ReadValue(string header, string key, string path)
    {
        foreach (var quote in new[] { '\'', '"' })
        {
            var marker = $"{quote}{key}{quote}";
            var at = header.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var rest = header.AsSpan(at + marker.Length).TrimStart();
            if (rest.Length == 0 || rest[0] != ':')
            {
                break;
            }

            rest = rest[1..].TrimStart();
            var end = rest.Length > 0 && rest[0] == '(' ? rest.IndexOf(')') + 1
                : rest.Length > 0 && rest[0] is '\'' or '"' ? rest[1..].IndexOf(rest[0]) + 2
                : rest.IndexOfAny(',', '}');
            if (end <= 0)
            {
                break;
            }

            return rest[..end].Trim().ToString();
        }

        throw new InvalidInputException($"{path}: the .npy header has no valid '{key}' ({header.Trim()}).", "header");
    }
}
