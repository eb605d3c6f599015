using System.Text.Json;
using S3Router.Core.Errors;
using S3Router.Core.Pruning;

namespace S3Router.Core.Masks;

/// <summary>JSON of the optional bundle metadata keys <c>token_dropping</c> and <c>structured_pruning</c> (see <see cref="MaskBundle"/>).</summary>
internal static class BundleExtensions
{
    public static void WriteTokenDropping(Utf8JsonWriter w, TokenDroppingSettings settings)
    {
        w.WriteStartObject();
        WriteNullable(w, "silence_dbfs", settings.SilenceDbfs);
        WriteNullable(w, "repeat_cosine", settings.RepeatCosine);
        w.WriteNumber("margin_frames", settings.MarginFrames);
        w.WriteEndObject();
    }

    public static TokenDroppingSettings ReadTokenDropping(JsonElement e, string field)
    {
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("margin_frames", out var margin) || margin.ValueKind != JsonValueKind.Number || !margin.TryGetInt32(out var marginFrames))
        {
            throw Error($"'{field}' needs an integer margin_frames; found {e.GetRawText()}", field);
        }

        var settings = new TokenDroppingSettings
        {
            SilenceDbfs = Nullable(e, "silence_dbfs", field),
            RepeatCosine = Nullable(e, "repeat_cosine", field),
            MarginFrames = marginFrames,
        };
        settings.Validate();
        return settings;
    }

    public static void WriteStructuredPruning(Utf8JsonWriter w, StructuredPruningInfo info)
    {
        w.WriteStartObject();
        w.WriteString("method", info.Method);
        w.WriteNumber("compute_keep_target", info.ComputeKeepTarget);
        w.WriteNumber("compute_keep", info.ComputeKeep);
        WriteInts(w, "conv_channels", info.Shape.ConvChannels);
        WriteInts(w, "heads", info.Shape.Heads);
        WriteInts(w, "ffn_units", info.Shape.FfnUnits);
        w.WriteEndObject();
    }

    public static StructuredPruningInfo ReadStructuredPruning(JsonElement e, string field)
    {
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("compute_keep_target", out var target) || target.ValueKind != JsonValueKind.Number
            || !e.TryGetProperty("compute_keep", out var keep) || keep.ValueKind != JsonValueKind.Number)
        {
            throw Error($"'{field}' needs method, compute_keep_target and compute_keep; found {e.GetRawText()}", field);
        }

        return new StructuredPruningInfo
        {
            Method = method.GetString()!,
            ComputeKeepTarget = target.GetDouble(),
            ComputeKeep = keep.GetDouble(),
            Shape = new StructuredShape
            {
                ConvChannels = Ints(e, "conv_channels", field),
                Heads = Ints(e, "heads", field),
                FfnUnits = Ints(e, "ffn_units", field),
            },
        };
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static double? Nullable(JsonElement e, string name, string field)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw Error($"'{field}'.{name} is neither a number nor null", field);
    }

    private static void WriteInts(Utf8JsonWriter w, string name, IReadOnlyList<int> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteNumberValue(v);
        }

        w.WriteEndArray();
    }

    private static int[] Ints(JsonElement e, string name, string field)
    {
        if (!e.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array
            || array.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out _)))
        {
            throw Error($"'{field}'.{name} is not an array of integers", field);
        }

        return array.EnumerateArray().Select(v => v.GetInt32()).ToArray();
    }

    private static InvalidInputException Error(string what, string field) => new($"Invalid mask bundle: {what}", field);
}
