using System.Buffers.Binary;
using System.Text.Json;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Tests.Onnx;

/// <summary>
/// Reads the F32 tensors of a small .safetensors file (8-byte little-endian header size, JSON header with dtype, shape
/// and data_offsets, then the data). Test-only until the Core reader lands.
/// </summary>
internal static class SafetensorsTestReader
{
    public static Dictionary<string, WeightTensor> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerSize = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerSize));
        var dataStart = 8 + headerSize;
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var entry in header.RootElement.EnumerateObject().Where(e => e.Name != "__metadata__"))
        {
            Assert.Equal("F32", entry.Value.GetProperty("dtype").GetString());
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            var data = new float[(offsets[1] - offsets[0]) / sizeof(float)];
            Buffer.BlockCopy(bytes, dataStart + offsets[0], data, 0, offsets[1] - offsets[0]);
            tensors[entry.Name] = new WeightTensor(data, shape);
        }

        return tensors;
    }
}
