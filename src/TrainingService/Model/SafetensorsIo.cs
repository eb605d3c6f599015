using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using S3Router.Core.Errors;

namespace S3Router.TrainingService.Model;

/// <summary>
/// Minimal safetensors reading (F32, F16, BF16 to float32) and writing (F32) for backbone checkpoints.
/// Stand-in until the Core safetensors reader lands; only this file touches the format.
/// Reference: https://github.com/huggingface/safetensors#format
/// </summary>
internal static class SafetensorsIo
{
    public static Dictionary<string, HostTensor> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidInputException($"Checkpoint '{path}' does not exist.", "model.safetensors");
        }

        var bytes = File.ReadAllBytes(path);
        try
        {
            return Parse(bytes, path);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or OverflowException or KeyNotFoundException or NullReferenceException)
        {
            throw new InvalidInputException($"'{path}' is not a valid safetensors file: {e.Message}", "model.safetensors", e);
        }
    }

    public static void Write(string path, IEnumerable<KeyValuePair<string, HostTensor>> tensors)
    {
        var ordered = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, tensor) in ordered)
        {
            var length = (long)tensor.Data.Length * sizeof(float);
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + length),
            };
            offset += length;
        }

        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (headerBytes.Length + 7) / 8 * 8; // data starts 8-byte aligned; pad the JSON with spaces
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
            stream.Write(prefix);
            stream.Write(headerBytes);
            for (var i = headerBytes.Length; i < padded; i++)
            {
                stream.WriteByte((byte)' ');
            }

            foreach (var (_, tensor) in ordered)
            {
                stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
            }
        }

        File.Move(temp, path, overwrite: true);
    }

    private static Dictionary<string, HostTensor> Parse(byte[] bytes, string path)
    {
        if (bytes.Length < 8)
        {
            throw new FormatException("file shorter than its 8-byte header length");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
        {
            throw new FormatException($"header length {headerLength} exceeds the file");
        }

        var dataStart = 8 + (int)headerLength;
        var header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength))!.AsObject();
        var result = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                continue;
            }

            var dtype = node!["dtype"]!.GetValue<string>();
            var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var count = shape.Aggregate(1L, (a, b) => checked(a * b));
            var elementSize = dtype switch
            {
                "F32" => 4,
                "F16" or "BF16" => 2,
                _ => throw new InvalidInputException($"Tensor '{name}' in '{path}' has dtype {dtype}; expected F32, F16 or BF16.", name),
            };
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] - offsets[0] != count * elementSize
                || dataStart + offsets[1] > bytes.Length)
            {
                throw new FormatException($"tensor '{name}' has data offsets that do not match its shape or the file");
            }

            var raw = bytes.AsSpan(dataStart + (int)offsets[0], (int)(offsets[1] - offsets[0]));
            var data = new float[count];
            if (dtype == "F32" && BitConverter.IsLittleEndian)
            {
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).CopyTo(data);
                result[name] = new HostTensor(data, shape);
                continue;
            }

            for (var i = 0; i < count; i++)
            {
                data[i] = dtype switch
                {
                    "F32" => BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]),
                    "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..]),
                    _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16),
                };
            }

            result[name] = new HostTensor(data, shape);
        }

        return result;
    }
}
