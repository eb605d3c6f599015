using System.Text.Encodings.Web;
using System.Text.Json;
using S3Router.Core.Errors;
using S3Router.Core.Safetensors;

namespace S3Router.Core.Masks;

/// <summary>Serialisation and validation of <see cref="MaskBundle"/>; the layout is documented there.</summary>
internal static class MaskBundleFormat
{
    public const string FormatVersionKey = "format_version";
    public const string TaskKey = "task";
    public const string LanguageKey = "language";
    public const string BackboneDigestKey = "backbone_digest";
    public const string HeadKindKey = "head_kind";
    public const string LabelsKey = "labels";
    public const string MaskedTensorsKey = "masked_tensors";
    public const string LineageKey = "lineage";
    public const string MetricsKey = "metrics";
    public const string TokenDroppingKey = "token_dropping";
    public const string StructuredPruningKey = "structured_pruning";

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(MaskBundle bundle)
    {
        Validate(bundle);
        var writer = new SafetensorsWriter()
            .SetMetadata(FormatVersionKey, MaskBundle.CurrentFormatVersion)
            .SetMetadata(TaskKey, bundle.Task)
            .SetMetadata(LanguageKey, bundle.Language)
            .SetMetadata(BackboneDigestKey, bundle.BackboneDigest)
            .SetMetadata(HeadKindKey, HeadKindName(bundle.HeadKind))
            .SetMetadata(LabelsKey, Json(w =>
            {
                w.WriteStartArray();
                foreach (var label in bundle.Labels)
                {
                    w.WriteStringValue(label);
                }

                w.WriteEndArray();
            }))
            .SetMetadata(MaskedTensorsKey, Json(w =>
            {
                w.WriteStartArray();
                foreach (var mask in bundle.Masks.OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    w.WriteStartObject();
                    w.WriteString("name", mask.Name);
                    w.WriteStartArray("shape");
                    foreach (var dim in mask.Shape)
                    {
                        w.WriteNumberValue(dim);
                    }

                    w.WriteEndArray();
                    w.WriteNumber("keep_ratio", mask.KeepRatio);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }))
            .SetMetadata(LineageKey, Json(w =>
            {
                var lineage = bundle.Lineage;
                w.WriteStartObject();
                w.WriteString("job_id", lineage.JobId);
                w.WriteString("dataset_digest", lineage.DatasetDigest);
                if (lineage.ParentVersion is { } parent)
                {
                    w.WriteNumber("parent_version", parent);
                }
                else
                {
                    w.WriteNull("parent_version");
                }

                w.WriteNumber("prune_rate", lineage.PruneRate);
                w.WriteString("init_score", lineage.InitScore);
                if (lineage.ParentBundleDigest.Length > 0)
                {
                    w.WriteString("parent_bundle_digest", lineage.ParentBundleDigest);
                }

                if (lineage.TorchThreads > 0)
                {
                    w.WriteNumber("torch_threads", lineage.TorchThreads);
                }

                if (lineage.OneDnnMaxIsa.Length > 0)
                {
                    w.WriteString("onednn_max_isa", lineage.OneDnnMaxIsa);
                }

                w.WriteEndObject();
            }))
            .SetMetadata(MetricsKey, Json(w =>
            {
                w.WriteStartObject();
                foreach (var (name, value) in bundle.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    w.WriteNumber(name, value);
                }

                w.WriteEndObject();
            }));
        if (bundle.TokenDropping is { } dropping)
        {
            writer.SetMetadata(TokenDroppingKey, Json(w => BundleExtensions.WriteTokenDropping(w, dropping)));
        }

        if (bundle.StructuredPruning is { } structured)
        {
            writer.SetMetadata(StructuredPruningKey, Json(w => BundleExtensions.WriteStructuredPruning(w, structured)));
        }

        foreach (var mask in bundle.Masks)
        {
            writer.Add(mask.Name + MaskBundle.MaskSuffix, SafetensorsDtype.U8, [mask.Packed.Length], mask.Packed);
        }

        foreach (var head in bundle.Heads)
        {
            writer.AddFloat32(head.Name, head.Shape, head.Values);
        }

        return writer.ToArray();
    }

    /// <param name="bytes">The whole file.</param>
    /// <param name="inPlace">Masks and F32 heads become views of <paramref name="bytes"/> (no copies) instead of copies.</param>
    public static MaskBundle Read(ReadOnlyMemory<byte> bytes, bool inPlace)
    {
        using var file = SafetensorsFile.FromBytes(bytes);
        var metadata = file.Metadata;
        var version = metadata.GetValueOrDefault(FormatVersionKey)
            ?? throw Error($"'{FormatVersionKey}' is missing from the metadata (not a mask bundle?)", FormatVersionKey);
        if (version != MaskBundle.CurrentFormatVersion)
        {
            throw Error($"format version '{version}' is not supported (this build reads '{MaskBundle.CurrentFormatVersion}')", FormatVersionKey);
        }

        var headKindName = Required(metadata, HeadKindKey);
        MaskHeadKind headKind = headKindName switch
        {
            "ctc" => MaskHeadKind.Ctc,
            "classifier" => MaskHeadKind.Classifier,
            _ => throw Error($"head kind '{headKindName}' is unknown (expected ctc or classifier)", HeadKindKey),
        };

        var masks = ReadMasks(file, ParseJson(metadata, MaskedTensorsKey), inPlace);
        var heads = new List<HeadTensor>();
        foreach (var (name, info) in file.Tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (name.StartsWith(HeadTensor.NamePrefix, StringComparison.Ordinal))
            {
                if (info.Dtype != SafetensorsDtype.F32)
                {
                    throw Error($"head tensor '{name}' is {info.Dtype.ToHeaderName()}, expected F32", name);
                }

                // ReadFloat32 makes a new array: the tensor keeps it rather than copying it again.
                heads.Add(inPlace && Float32Memory.TryCreate(file.GetMemory(name), out var view)
                    ? HeadTensor.Over(name, info.Shape, view)
                    : HeadTensor.Over(name, info.Shape, file.ReadFloat32(name)));
            }
            else if (!masks.Any(m => m.Name + MaskBundle.MaskSuffix == name))
            {
                throw Error($"tensor '{name}' is neither a head tensor nor listed in '{MaskedTensorsKey}'", name);
            }
        }

        var bundle = new MaskBundle
        {
            Task = Required(metadata, TaskKey),
            Language = Required(metadata, LanguageKey),
            BackboneDigest = Required(metadata, BackboneDigestKey),
            HeadKind = headKind,
            Labels = ReadLabels(ParseJson(metadata, LabelsKey)),
            Masks = masks,
            Heads = heads,
            Lineage = ReadLineage(ParseJson(metadata, LineageKey)),
            Metrics = ReadMetrics(ParseJson(metadata, MetricsKey)),
            TokenDropping = metadata.ContainsKey(TokenDroppingKey)
                ? BundleExtensions.ReadTokenDropping(ParseJson(metadata, TokenDroppingKey), TokenDroppingKey) : null,
            StructuredPruning = metadata.ContainsKey(StructuredPruningKey)
                ? BundleExtensions.ReadStructuredPruning(ParseJson(metadata, StructuredPruningKey), StructuredPruningKey) : null,
        };
        Validate(bundle);
        return bundle;
    }

    /// <summary>The rules a bundle obeys, on write and on read.</summary>
    public static void Validate(MaskBundle bundle)
    {
        if (string.IsNullOrEmpty(bundle.Task))
        {
            throw Error("task is empty", TaskKey);
        }

        ArgumentNullException.ThrowIfNull(bundle.Language);
        if (!Sha256Digest.IsValid(bundle.BackboneDigest))
        {
            throw Error($"backbone digest '{bundle.BackboneDigest}' is not 64 lowercase hex characters", BackboneDigestKey);
        }

        if (!Enum.IsDefined(bundle.HeadKind))
        {
            throw Error($"head kind {(int)bundle.HeadKind} is unknown", HeadKindKey);
        }

        ArgumentNullException.ThrowIfNull(bundle.Labels);
        if (bundle.Labels.Count == 0 || bundle.Labels.Any(l => l is null)
            || bundle.Labels.Distinct(StringComparer.Ordinal).Count() != bundle.Labels.Count)
        {
            throw Error("labels must be a non-empty list of distinct strings", LabelsKey);
        }

        ArgumentNullException.ThrowIfNull(bundle.Masks);
        var maskNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mask in bundle.Masks)
        {
            ArgumentNullException.ThrowIfNull(mask);
            if (!maskNames.Add(mask.Name))
            {
                throw Error($"mask '{mask.Name}' appears twice", mask.Name);
            }

            if (mask.Name.StartsWith(HeadTensor.NamePrefix, StringComparison.Ordinal))
            {
                throw Error($"mask '{mask.Name}' must not start with '{HeadTensor.NamePrefix}' (reserved for head tensors)", mask.Name);
            }
        }

        ArgumentNullException.ThrowIfNull(bundle.Heads);
        if (bundle.Heads.Count == 0)
        {
            throw Error("a bundle needs at least one head tensor", HeadTensor.NamePrefix);
        }

        var headNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var head in bundle.Heads)
        {
            ArgumentNullException.ThrowIfNull(head);
            if (!headNames.Add(head.Name))
            {
                throw Error($"head tensor '{head.Name}' appears twice", head.Name);
            }
        }

        var lineage = bundle.Lineage ?? throw Error("lineage is missing", LineageKey);
        if (lineage.JobId is null || lineage.DatasetDigest is null || lineage.InitScore is null)
        {
            throw Error("lineage has a null field", LineageKey);
        }

        if (!(lineage.PruneRate > 0 && lineage.PruneRate <= 1))
        {
            throw Error($"lineage prune rate {lineage.PruneRate} is outside (0, 1]", LineageKey);
        }

        if (lineage.ParentBundleDigest is null || (lineage.ParentBundleDigest.Length > 0 && !Sha256Digest.IsValid(lineage.ParentBundleDigest)))
        {
            throw Error($"lineage parent bundle digest '{lineage.ParentBundleDigest}' is not 64 lowercase hex digits", LineageKey);
        }

        if (lineage.TorchThreads < 0)
        {
            throw Error($"lineage torch_threads {lineage.TorchThreads} is negative", LineageKey);
        }

        if (lineage.OneDnnMaxIsa is null || (lineage.OneDnnMaxIsa.Length > 0 && !MaskLineage.IsValidOneDnnMaxIsa(lineage.OneDnnMaxIsa)))
        {
            throw Error(
                $"lineage onednn_max_isa '{lineage.OneDnnMaxIsa}' is not a oneDNN instruction set name (A-Z, 0-9 and _, at most {MaskLineage.OneDnnMaxIsaMaxLength} characters)", LineageKey);
        }

        if (lineage.ParentVersion is < 1)
        {
            throw Error($"lineage parent version {lineage.ParentVersion} is not a version number (>= 1)", LineageKey);
        }

        bundle.TokenDropping?.Validate();
        ArgumentNullException.ThrowIfNull(bundle.Metrics);
        foreach (var (name, value) in bundle.Metrics)
        {
            if (string.IsNullOrEmpty(name) || !double.IsFinite(value))
            {
                throw Error($"metric '{name}' = {value}: names must be non-empty and values finite", MetricsKey);
            }
        }
    }

    private static List<MaskTensor> ReadMasks(SafetensorsFile file, JsonElement list, bool inPlace)
    {
        if (list.ValueKind != JsonValueKind.Array)
        {
            throw Error($"'{MaskedTensorsKey}' is not a JSON array", MaskedTensorsKey);
        }

        var masks = new List<MaskTensor>();
        foreach (var entry in list.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
                || !entry.TryGetProperty("keep_ratio", out var ratioElement) || ratioElement.ValueKind != JsonValueKind.Number)
            {
                throw Error($"'{MaskedTensorsKey}' entries need a string 'name', an array 'shape' and a number 'keep_ratio'; found {entry.GetRawText()}", MaskedTensorsKey);
            }

            var name = nameElement.GetString()!;
            var shape = new List<long>();
            foreach (var dim in shapeElement.EnumerateArray())
            {
                if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var value))
                {
                    throw Error($"mask '{name}': shape holds {dim.GetRawText()}, not an integer", name);
                }

                shape.Add(value);
            }

            var tensorName = name + MaskBundle.MaskSuffix;
            if (!file.Tensors.TryGetValue(tensorName, out var info))
            {
                throw Error($"mask '{name}' is listed in '{MaskedTensorsKey}' but tensor '{tensorName}' is missing", name);
            }

            if (info.Dtype != SafetensorsDtype.U8 || info.Shape.Count != 1)
            {
                throw Error($"tensor '{tensorName}' must be U8 with one dimension, found {info.Dtype.ToHeaderName()} [{string.Join(", ", info.Shape)}]", tensorName);
            }

            if (masks.Any(m => m.Name == name))
            {
                throw Error($"mask '{name}' is listed twice in '{MaskedTensorsKey}'", name);
            }

            var mask = inPlace
                ? MaskTensor.Over(name, shape, file.GetMemory(tensorName))
                : MaskTensor.FromPacked(name, shape, file.GetBytes(tensorName));
            var ratio = ratioElement.GetDouble();
            // The metadata may hold the target ratio; top-k rounds k to a whole count, hence one element of slack.
            if (!(Math.Abs(ratio - mask.KeepRatio) <= 1.0 / mask.ElementCount + 1e-9))
            {
                throw Error($"mask '{name}': keep_ratio {ratio} in metadata, but {mask.KeptCount} of {mask.ElementCount} bits are set ({mask.KeepRatio})", name);
            }

            masks.Add(mask);
        }

        return masks;
    }

    private static List<string> ReadLabels(JsonElement labels)
    {
        if (labels.ValueKind != JsonValueKind.Array || labels.EnumerateArray().Any(l => l.ValueKind != JsonValueKind.String))
        {
            throw Error($"'{LabelsKey}' is not a JSON array of strings", LabelsKey);
        }

        return labels.EnumerateArray().Select(l => l.GetString()!).ToList();
    }

    private static MaskLineage ReadLineage(JsonElement lineage)
    {
        if (lineage.ValueKind != JsonValueKind.Object
            || !TryGet(lineage, "job_id", JsonValueKind.String, out var jobId)
            || !TryGet(lineage, "dataset_digest", JsonValueKind.String, out var datasetDigest)
            || !TryGet(lineage, "prune_rate", JsonValueKind.Number, out var pruneRate)
            || !TryGet(lineage, "init_score", JsonValueKind.String, out var initScore)
            || !lineage.TryGetProperty("parent_version", out var parent))
        {
            throw Error($"'{LineageKey}' needs job_id, dataset_digest, parent_version, prune_rate and init_score", LineageKey);
        }

        long? parentVersion = null;
        if (parent.ValueKind != JsonValueKind.Null)
        {
            if (parent.ValueKind != JsonValueKind.Number || !parent.TryGetInt64(out var version))
            {
                throw Error($"lineage parent_version {parent.GetRawText()} is neither an integer nor null", LineageKey);
            }

            parentVersion = version;
        }

        var parentBundle = "";
        if (lineage.TryGetProperty("parent_bundle_digest", out var parentDigest))
        {
            if (parentDigest.ValueKind != JsonValueKind.String || !Sha256Digest.IsValid(parentDigest.GetString()))
            {
                throw Error($"lineage parent_bundle_digest {parentDigest.GetRawText()} is not 64 lowercase hex digits", LineageKey);
            }

            parentBundle = parentDigest.GetString()!;
        }

        var torchThreads = 0;
        if (lineage.TryGetProperty("torch_threads", out var threads)
            && (threads.ValueKind != JsonValueKind.Number || !threads.TryGetInt32(out torchThreads) || torchThreads < 1))
        {
            throw Error($"lineage torch_threads {threads.GetRawText()} is not a positive integer", LineageKey);
        }

        var oneDnnMaxIsa = "";
        if (lineage.TryGetProperty("onednn_max_isa", out var isa))
        {
            if (isa.ValueKind != JsonValueKind.String || !MaskLineage.IsValidOneDnnMaxIsa(isa.GetString()))
            {
                throw Error(
                    $"lineage onednn_max_isa {isa.GetRawText()} is not a oneDNN instruction set name (A-Z, 0-9 and _, at most {MaskLineage.OneDnnMaxIsaMaxLength} characters)", LineageKey);
            }

            oneDnnMaxIsa = isa.GetString()!;
        }

        return new MaskLineage
        {
            JobId = jobId.GetString()!,
            DatasetDigest = datasetDigest.GetString()!,
            ParentVersion = parentVersion,
            PruneRate = pruneRate.GetDouble(),
            InitScore = initScore.GetString()!,
            ParentBundleDigest = parentBundle,
            TorchThreads = torchThreads,
            OneDnnMaxIsa = oneDnnMaxIsa,
        };
    }

    private static Dictionary<string, double> ReadMetrics(JsonElement metrics)
    {
        if (metrics.ValueKind != JsonValueKind.Object)
        {
            throw Error($"'{MetricsKey}' is not a JSON object", MetricsKey);
        }

        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var metric in metrics.EnumerateObject())
        {
            if (metric.Value.ValueKind != JsonValueKind.Number || !result.TryAdd(metric.Name, metric.Value.GetDouble()))
            {
                throw Error($"metric '{metric.Name}' is not a number or appears twice", MetricsKey);
            }
        }

        return result;
    }

    private static bool TryGet(JsonElement element, string name, JsonValueKind kind, out JsonElement value) =>
        element.TryGetProperty(name, out value) && value.ValueKind == kind;

    private static string Required(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.GetValueOrDefault(key) ?? throw Error($"'{key}' is missing from the metadata", key);

    private static JsonElement ParseJson(IReadOnlyDictionary<string, string> metadata, string key)
    {
        try
        {
            // Clone so the element outlives the document; metadata values are small.
            using var document = JsonDocument.Parse(Required(metadata, key));
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"Invalid mask bundle: '{key}' is not valid JSON ({e.Message})", key, e);
        }
    }

    private static string HeadKindName(MaskHeadKind kind) => kind == MaskHeadKind.Ctc ? "ctc" : "classifier";

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, JsonOptions))
        {
            write(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static InvalidInputException Error(string what, string field) => new($"Invalid mask bundle: {what}", field);
}
