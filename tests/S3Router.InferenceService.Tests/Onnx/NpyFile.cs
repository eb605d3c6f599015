using System.Text;
using System.Text.RegularExpressions;

namespace S3Router.InferenceService.Tests.Onnx;

/// <summary>Minimal NumPy .npy reader for little-endian float32 C-order arrays (what the reference script writes).</summary>
internal static partial class NpyFile
{
    public static (float[] Data, long[] Shape) ReadFloat32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
        {
            throw new InvalidDataException($"{path} is not a .npy file.");
        }

        var major = bytes[6];
        var headerLength = major == 1 ? BitConverter.ToUInt16(bytes, 8) : (int)BitConverter.ToUInt32(bytes, 8);
        var headerStart = major == 1 ? 10 : 12;
        var header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        if (!header.Contains("'descr': '<f4'", StringComparison.Ordinal) || header.Contains("'fortran_order': True", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: only little-endian float32 C-order arrays are supported ({header}).");
        }

        var shapeText = ShapePattern().Match(header).Groups[1].Value;
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(long.Parse).ToArray();
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        Buffer.BlockCopy(bytes, headerStart + headerLength, data, 0, data.Length * sizeof(float));
        return (data, shape);
    }

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
