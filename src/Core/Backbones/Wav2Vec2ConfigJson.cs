using System.Text;
using System.Text.Json;
using S3Router.Core.Errors;

namespace S3Router.Core.Backbones;

/// <summary>
/// Reads and writes Hugging Face <c>config.json</c> files (<c>Wav2Vec2Config</c>, <c>HubertConfig</c>).
/// Unknown fields are ignored (real configs carry dozens: quantizer, CTC, x-vector settings); the written file has
/// the fields that shape the backbone plus <c>model_type</c> and <c>architectures</c>, so Hugging Face transformers
/// can read it back.
/// Reference: https://huggingface.co/docs/transformers/model_doc/wav2vec2#transformers.Wav2Vec2Config
/// </summary>
public static class Wav2Vec2ConfigJson
{
    /// <summary>The usual file name inside a backbone directory.</summary>
    public const string FileName = "config.json";

    private static readonly JsonSerializerOptions ReadOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Parses and validates the text of a <c>config.json</c>.</summary>
    /// <param name="json">The file's text.</param>
    /// <param name="source">Name of the file for error messages. Default: <c>config.json</c>.</param>
    /// <exception cref="InvalidInputException">
    /// Bad JSON (the message gives line and byte position), a field of the wrong type, an unsupported
    /// <c>model_type</c> (e.g. <c>wav2vec2-conformer</c>) or feature, or any validation rule; validation lists every
    /// bad field at once.
    /// </exception>
    public static Wav2Vec2Config Parse(string json, string source = FileName)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = ReadDocument(json, source);
        return FromDocument(document.RootElement, source);
    }

    /// <summary>Reads, parses and validates a <c>config.json</c> file, or the one inside a backbone directory.</summary>
    /// <exception cref="NotFoundException">No such file.</exception>
    /// <exception cref="InvalidInputException">See <see cref="Parse"/>.</exception>
    public static async Task<Wav2Vec2Config> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        string text;
        try
        {
            text = await File.ReadAllTextAsync(file, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"Backbone config '{file}' does not exist.", e);
        }

        return Parse(text, file);
    }

    /// <summary>Writes a validated config as Hugging Face <c>config.json</c> text (sorted keys, 2-space indent).</summary>
    /// <exception cref="InvalidInputException">The config is invalid.</exception>
    public static string Serialize(Wav2Vec2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var isHubert = config.ModelType == "hubert";

        var fields = new SortedDictionary<string, Action<Utf8JsonWriter>>(StringComparer.Ordinal)
        {
            ["activation_dropout"] = w => w.WriteNumberValue(config.ActivationDropout),
            ["architectures"] = w => WriteStrings(w, [isHubert ? "HubertModel" : "Wav2Vec2Model"]),
            ["attention_dropout"] = w => w.WriteNumberValue(config.AttentionDropout),
            ["conv_bias"] = w => w.WriteBooleanValue(config.ConvBias),
            ["conv_dim"] = w => WriteInts(w, config.ConvDim),
            ["conv_kernel"] = w => WriteInts(w, config.ConvKernel),
            ["conv_stride"] = w => WriteInts(w, config.ConvStride),
            ["do_stable_layer_norm"] = w => w.WriteBooleanValue(config.DoStableLayerNorm),
            ["feat_extract_activation"] = w => w.WriteStringValue(config.FeatExtractActivation),
            ["feat_extract_norm"] = w => w.WriteStringValue(config.FeatExtractNorm),
            ["feat_proj_dropout"] = w => w.WriteNumberValue(config.FeatProjDropout),
            ["hidden_act"] = w => w.WriteStringValue(config.HiddenAct),
            ["hidden_dropout"] = w => w.WriteNumberValue(config.HiddenDropout),
            ["hidden_size"] = w => w.WriteNumberValue(config.HiddenSize),
            ["intermediate_size"] = w => w.WriteNumberValue(config.IntermediateSize),
            ["layer_norm_eps"] = w => w.WriteNumberValue(config.LayerNormEps),
            ["layerdrop"] = w => w.WriteNumberValue(config.Layerdrop),
            ["mask_feature_prob"] = w => w.WriteNumberValue(config.MaskFeatureProb),
            ["mask_time_prob"] = w => w.WriteNumberValue(config.MaskTimeProb),
            ["model_type"] = w => w.WriteStringValue(config.ModelType),
            ["num_attention_heads"] = w => w.WriteNumberValue(config.NumAttentionHeads),
            ["num_conv_pos_embedding_groups"] = w => w.WriteNumberValue(config.NumConvPosEmbeddingGroups),
            ["num_conv_pos_embeddings"] = w => w.WriteNumberValue(config.NumConvPosEmbeddings),
            ["num_feat_extract_layers"] = w => w.WriteNumberValue(config.NumFeatExtractLayers),
            ["num_hidden_layers"] = w => w.WriteNumberValue(config.NumHiddenLayers),
            ["vocab_size"] = w => w.WriteNumberValue(config.VocabSize),
        };
        if (isHubert)
        {
            fields["feat_proj_layer_norm"] = w => w.WriteBooleanValue(config.FeatProjLayerNorm);
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, IndentSize = 2 }))
        {
            writer.WriteStartObject();
            foreach (var (name, write) in fields)
            {
                writer.WritePropertyName(name);
                write(writer);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Writes <see cref="Serialize"/>'s text to a file, or to <c>config.json</c> inside an existing directory.</summary>
    public static async Task SaveAsync(Wav2Vec2Config config, string path, CancellationToken cancellationToken = default)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        await File.WriteAllTextAsync(file, Serialize(config), new UTF8Encoding(false), cancellationToken)
            .ConfigureAwait(false);
    }

    private static JsonDocument ReadDocument(string json, string source)
    {
        try
        {
            return JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException(
                $"{source} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}",
                source, e);
        }
    }

    private static Wav2Vec2Config FromDocument(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidInputException($"{source} must hold a JSON object, not {root.ValueKind}.", source);
        }

        HfConfigDocument doc;
        try
        {
            doc = root.Deserialize<HfConfigDocument>(ReadOptions)!;
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : source;
            throw new InvalidInputException(
                $"{source}: '{field}' has a value of the wrong type or out of range.", field, e);
        }

        var modelType = doc.ModelType ?? "wav2vec2";
        if (modelType is not ("wav2vec2" or "hubert"))
        {
            throw new InvalidInputException(
                $"{source}: model_type '{modelType}' is not supported; use a wav2vec2 or hubert config "
                + "(conformer, data2vec-audio and other variants have a different architecture).", "model_type");
        }

        var unsupported = new List<FieldViolation>();
        if (doc.AddAdapter == true)
        {
            unsupported.Add(new("add_adapter", "add_adapter true (a conv adapter after the encoder) is not supported."));
        }

        if (doc.AdapterAttnDim is not null)
        {
            unsupported.Add(new("adapter_attn_dim", "adapter_attn_dim (MMS attention adapters) is not supported."));
        }

        if (doc.ConvPosBatchNorm == true)
        {
            unsupported.Add(new("conv_pos_batch_norm",
                "conv_pos_batch_norm true (batch-norm positional conv) is not supported."));
        }

        var defaults = Wav2Vec2Config.Base;
        var config = new Wav2Vec2Config
        {
            ModelType = modelType,
            HiddenSize = doc.HiddenSize ?? defaults.HiddenSize,
            NumHiddenLayers = doc.NumHiddenLayers ?? defaults.NumHiddenLayers,
            NumAttentionHeads = doc.NumAttentionHeads ?? defaults.NumAttentionHeads,
            IntermediateSize = doc.IntermediateSize ?? defaults.IntermediateSize,
            HiddenAct = doc.HiddenAct ?? defaults.HiddenAct,
            LayerNormEps = doc.LayerNormEps ?? defaults.LayerNormEps,
            FeatExtractNorm = doc.FeatExtractNorm ?? defaults.FeatExtractNorm,
            FeatExtractActivation = doc.FeatExtractActivation ?? defaults.FeatExtractActivation,
            ConvDim = doc.ConvDim ?? defaults.ConvDim,
            ConvStride = doc.ConvStride ?? defaults.ConvStride,
            ConvKernel = doc.ConvKernel ?? defaults.ConvKernel,
            ConvBias = doc.ConvBias ?? defaults.ConvBias,
            NumConvPosEmbeddings = doc.NumConvPosEmbeddings ?? defaults.NumConvPosEmbeddings,
            NumConvPosEmbeddingGroups = doc.NumConvPosEmbeddingGroups ?? defaults.NumConvPosEmbeddingGroups,
            DoStableLayerNorm = doc.DoStableLayerNorm ?? defaults.DoStableLayerNorm,

            // Wav2Vec2Config has no such field: its feature projection always has the LayerNorm.
            FeatProjLayerNorm = modelType == "hubert" ? doc.FeatProjLayerNorm ?? true : true,
            HiddenDropout = doc.HiddenDropout ?? defaults.HiddenDropout,
            AttentionDropout = doc.AttentionDropout ?? defaults.AttentionDropout,
            ActivationDropout = doc.ActivationDropout ?? defaults.ActivationDropout,
            FeatProjDropout = doc.FeatProjDropout ?? defaults.FeatProjDropout,
            Layerdrop = doc.Layerdrop ?? defaults.Layerdrop,
            VocabSize = doc.VocabSize ?? defaults.VocabSize,
            MaskTimeProb = doc.MaskTimeProb ?? defaults.MaskTimeProb,
            MaskFeatureProb = doc.MaskFeatureProb ?? defaults.MaskFeatureProb,
        };

        var violations = unsupported.Concat(config.GetViolations()).ToList();
        if (violations.Count > 0)
        {
            throw Wav2Vec2ConfigValidator.ToException($"Invalid backbone config {source}", violations);
        }

        return config;
    }

    private static void WriteInts(Utf8JsonWriter writer, IReadOnlyList<int> values)
    {
        writer.WriteStartArray();
        foreach (var value in values)
        {
            writer.WriteNumberValue(value);
        }

        writer.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter writer, IReadOnlyList<string> values)
    {
        writer.WriteStartArray();
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
