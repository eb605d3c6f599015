using System.Text.Json;
using System.Text.Unicode;

namespace S3Router.Core.Safetensors;

/// <summary>Parses and validates the JSON header against the size of the data buffer.</summary>
internal static class SafetensorsHeader
{
    /// <summary>Largest header accepted, in bytes, as the reference implementation (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    public const string MetadataKey = "__metadata__";

    public static (Dictionary<string, TensorInfo> Tensors, Dictionary<string, string> Metadata) Parse(
        byte[] headerJson, long bufferLength)
    {
        // The reference implementation rejects headers that do not start with '{'.
        if (headerJson.Length == 0 || headerJson[0] != (byte)'{')
        {
            throw Error("header is not a JSON object (it must start with '{')");
        }

        // JsonDocument only checks UTF-8 lazily, when a string is read.
        if (!Utf8.IsValid(headerJson))
        {
            throw Error("header is not valid UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerJson);
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException($"Invalid safetensors file: header is not valid JSON ({e.Message})", null, e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error("header is not a JSON object");
            }

            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            Dictionary<string, string>? metadata = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (metadata is not null)
                    {
                        throw Error($"header has '{MetadataKey}' twice");
                    }

                    metadata = ParseMetadata(property.Value);
                    continue;
                }

                if (tensors.ContainsKey(property.Name))
                {
                    throw Error($"tensor '{property.Name}' appears twice in the header", property.Name);
                }

                tensors.Add(property.Name, ParseTensor(property.Name, property.Value, bufferLength));
            }

            CheckCoverage(tensors.Values, bufferLength);
            return (tensors, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal));
        }
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error($"'{MetadataKey}' is not a JSON object");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw Error($"metadata value of '{entry.Name}' is a {entry.Value.ValueKind}, not a string");
            }

            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw Error($"metadata key '{entry.Name}' appears twice");
            }
        }

        return metadata;
    }

    private static TensorInfo ParseTensor(string name, JsonElement element, long bufferLength)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error($"tensor '{name}': entry is not a JSON object", name);
        }

        if (!element.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Error($"tensor '{name}': missing or non-string 'dtype'", name);
        }

        var dtypeName = dtypeElement.GetString();
        if (!SafetensorsDtypes.TryParse(dtypeName, out var dtype))
        {
            throw Error($"tensor '{name}': unknown dtype '{dtypeName}'", name);
        }

        var shape = ReadIntegers(name, element, "shape", expectedCount: null);
        long elementCount = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw Error($"tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension", name);
            }

            try
            {
                elementCount = checked(elementCount * dim);
            }
            catch (OverflowException)
            {
                throw Error($"tensor '{name}': shape [{string.Join(", ", shape)}] has too many elements", name);
            }
        }

        var offsets = ReadIntegers(name, element, "data_offsets", expectedCount: 2);
        var (begin, end) = (offsets[0], offsets[1]);
        if (begin < 0 || end < 0)
        {
            throw Error($"tensor '{name}': negative data_offsets [{begin}, {end}]", name);
        }

        if (begin > end)
        {
            throw Error($"tensor '{name}': data_offsets [{begin}, {end}] begin after end", name);
        }

        if (end > bufferLength)
        {
            throw Error($"tensor '{name}': data_offsets [{begin}, {end}] beyond the data buffer of {bufferLength} bytes", name);
        }

        var size = dtype.SizeInBytes();
        var span = end - begin;
        // Compare by division first so that elementCount * size cannot overflow.
        if (elementCount > span / size || elementCount * size != span)
        {
            var needed = elementCount <= long.MaxValue / size ? $"{elementCount * size} bytes" : "more than 2^63 bytes";
            throw Error($"tensor '{name}': {dtype.ToHeaderName()} shape [{string.Join(", ", shape)}] needs {needed} " +
                $"but data_offsets [{begin}, {end}] span {span}", name);
        }

        return new TensorInfo(name, dtype, shape, (begin, end));
    }

    private static long[] ReadIntegers(string name, JsonElement element, string field, int? expectedCount)
    {
        if (!element.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw Error($"tensor '{name}': missing or non-array '{field}'", name);
        }

        var length = array.GetArrayLength();
        if (expectedCount is { } count && length != count)
        {
            throw Error($"tensor '{name}': '{field}' has {length} values, expected {count}", name);
        }

        var values = new long[length];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out values[i]))
            {
                throw Error($"tensor '{name}': '{field}' holds {item.GetRawText()}, not a 64-bit integer", name);
            }

            i++;
        }

        return values;
    }

    // The reference implementation requires the tensors to tile the buffer: no overlap, no hole, no trailing bytes.
    private static void CheckCoverage(IEnumerable<TensorInfo> tensors, long bufferLength)
    {
        long expected = 0;
        TensorInfo? previous = null;
        foreach (var tensor in tensors.OrderBy(t => t.DataOffsets.Begin).ThenBy(t => t.DataOffsets.End))
        {
            var begin = tensor.DataOffsets.Begin;
            if (begin < expected)
            {
                throw Error($"tensor '{tensor.Name}': data_offsets [{begin}, {tensor.DataOffsets.End}] overlap tensor " +
                    $"'{previous!.Name}' which ends at {expected}", tensor.Name);
            }

            if (begin > expected)
            {
                throw Error($"tensor '{tensor.Name}': data_offsets start at {begin}, leaving a hole after byte {expected}", tensor.Name);
            }

            expected = tensor.DataOffsets.End;
            previous = tensor;
        }

        if (expected != bufferLength)
        {
            throw Error($"tensors cover {expected} bytes but the data buffer has {bufferLength} (trailing bytes)");
        }
    }

    private static SafetensorsFormatException Error(string what, string? tensorName = null) =>
        new($"Invalid safetensors file: {what}", tensorName);
}
