using S3Router.Core.Errors;

namespace S3Router.Core.Backbones;

/// <summary>
/// Checks a <see cref="Wav2Vec2Config"/> for what the model code cannot run. Hugging Face allows any combination of
/// <c>feat_extract_norm</c> and <c>do_stable_layer_norm</c> (wav2vec2-large is group + post-LN, lv60 and XLS-R are
/// layer + pre-LN), so that pair is not restricted. Upper bounds keep shape arithmetic far from overflow.
/// </summary>
internal static class Wav2Vec2ConfigValidator
{
    internal const int MaxWidth = 65_536;
    internal const int MaxLayers = 256;
    internal const int MaxConvLayers = 32;
    internal const int MaxKernelOrStride = 4_096;
    internal const int MaxFrameHop = 1 << 20;

    internal static readonly string[] ModelTypes = ["wav2vec2", "hubert"];
    internal static readonly string[] FeatExtractNorms = ["group", "layer"];

    public static IReadOnlyList<FieldViolation> Check(Wav2Vec2Config config)
    {
        var violations = new List<FieldViolation>();
        void Add(string field, string message) => violations.Add(new FieldViolation(field, message));

        if (!ModelTypes.Contains(config.ModelType, StringComparer.Ordinal))
        {
            Add("model_type", $"model_type '{config.ModelType}' is not supported; use one of: {string.Join(", ", ModelTypes)}.");
        }

        CheckRange(Add, "hidden_size", config.HiddenSize, MaxWidth);
        CheckRange(Add, "num_hidden_layers", config.NumHiddenLayers, MaxLayers);
        CheckRange(Add, "num_attention_heads", config.NumAttentionHeads, MaxWidth);
        CheckRange(Add, "intermediate_size", config.IntermediateSize, MaxWidth);
        CheckRange(Add, "num_conv_pos_embeddings", config.NumConvPosEmbeddings, MaxKernelOrStride);
        CheckRange(Add, "num_conv_pos_embedding_groups", config.NumConvPosEmbeddingGroups, MaxWidth);
        CheckRange(Add, "vocab_size", config.VocabSize, 1 << 24);

        if (config.HiddenSize > 0 && config.NumAttentionHeads > 0 && config.HiddenSize % config.NumAttentionHeads != 0)
        {
            Add("num_attention_heads",
                $"hidden_size {config.HiddenSize} must be divisible by num_attention_heads {config.NumAttentionHeads}.");
        }

        if (config.HiddenSize > 0 && config.NumConvPosEmbeddingGroups > 0
            && config.HiddenSize % config.NumConvPosEmbeddingGroups != 0)
        {
            Add("num_conv_pos_embedding_groups",
                $"hidden_size {config.HiddenSize} must be divisible by num_conv_pos_embedding_groups {config.NumConvPosEmbeddingGroups}.");
        }

        CheckConvLayers(Add, config);

        if (!FeatExtractNorms.Contains(config.FeatExtractNorm, StringComparer.Ordinal))
        {
            Add("feat_extract_norm",
                $"feat_extract_norm '{config.FeatExtractNorm}' is not supported; use one of: {string.Join(", ", FeatExtractNorms)}.");
        }

        if (!BackboneActivations.IsSupported(config.HiddenAct))
        {
            Add("hidden_act", BackboneActivations.UnsupportedMessage("hidden_act", config.HiddenAct));
        }

        if (!BackboneActivations.IsSupported(config.FeatExtractActivation))
        {
            Add("feat_extract_activation",
                BackboneActivations.UnsupportedMessage("feat_extract_activation", config.FeatExtractActivation));
        }

        CheckProbability(Add, "hidden_dropout", config.HiddenDropout, allowOne: false);
        CheckProbability(Add, "attention_dropout", config.AttentionDropout, allowOne: false);
        CheckProbability(Add, "activation_dropout", config.ActivationDropout, allowOne: false);
        CheckProbability(Add, "feat_proj_dropout", config.FeatProjDropout, allowOne: false);
        CheckProbability(Add, "layerdrop", config.Layerdrop, allowOne: false);
        CheckProbability(Add, "mask_time_prob", config.MaskTimeProb, allowOne: true);
        CheckProbability(Add, "mask_feature_prob", config.MaskFeatureProb, allowOne: true);

        if (!(config.LayerNormEps > 0) || double.IsInfinity(config.LayerNormEps))
        {
            Add("layer_norm_eps", $"layer_norm_eps must be a finite number above 0, got {config.LayerNormEps}.");
        }

        // Wav2Vec2FeatureProjection always has its LayerNorm; only HubertConfig has the switch.
        if (!config.FeatProjLayerNorm && config.ModelType == "wav2vec2")
        {
            Add("feat_proj_layer_norm", "feat_proj_layer_norm false is only valid for model_type hubert.");
        }

        return violations;
    }

    public static InvalidInputException ToException(string what, IReadOnlyList<FieldViolation> violations)
    {
        var details = string.Join("; ", violations.Select(v => v.Description));
        return new InvalidInputException($"{what}: {details}", violations);
    }

    private static void CheckRange(Action<string, string> add, string field, int value, int max)
    {
        if (value < 1 || value > max)
        {
            add(field, $"{field} must be between 1 and {max}, got {value}.");
        }
    }

    private static void CheckProbability(Action<string, string> add, string field, double value, bool allowOne)
    {
        var ok = value >= 0 && (allowOne ? value <= 1 : value < 1);
        if (!ok)
        {
            add(field, $"{field} must be in [0, 1{(allowOne ? "]" : ")")}, got {value}.");
        }
    }

    private static void CheckConvLayers(Action<string, string> add, Wav2Vec2Config config)
    {
        var lists = new (string Field, IReadOnlyList<int>? Values)[]
        {
            ("conv_dim", config.ConvDim), ("conv_stride", config.ConvStride), ("conv_kernel", config.ConvKernel),
        };
        foreach (var (field, values) in lists)
        {
            if (values is null || values.Count == 0)
            {
                add(field, $"{field} must list at least one conv layer.");
                continue;
            }

            if (values.Count > MaxConvLayers)
            {
                add(field, $"{field} lists {values.Count} conv layers; at most {MaxConvLayers} are supported.");
            }

            var max = field == "conv_dim" ? MaxWidth : MaxKernelOrStride;
            for (var i = 0; i < values.Count; i++)
            {
                if (values[i] < 1 || values[i] > max)
                {
                    add($"{field}[{i}]", $"{field}[{i}] must be between 1 and {max}, got {values[i]}.");
                }
            }
        }

        var dims = config.ConvDim?.Count ?? 0;
        var strides = config.ConvStride?.Count ?? 0;
        var kernels = config.ConvKernel?.Count ?? 0;
        if (dims > 0 && strides > 0 && kernels > 0 && (dims != strides || dims != kernels))
        {
            add("conv_dim",
                $"conv_dim, conv_stride and conv_kernel must have the same length, got {dims}, {strides} and {kernels}.");
        }

        if (strides is > 0 and <= MaxConvLayers && config.ConvStride!.All(s => s is >= 1 and <= MaxKernelOrStride))
        {
            long hop = 1;
            foreach (var stride in config.ConvStride!)
            {
                hop = Math.Min(hop * stride, MaxFrameHop + 1);
            }

            if (hop > MaxFrameHop)
            {
                add("conv_stride", $"The product of conv_stride (samples per frame) must be at most {MaxFrameHop}.");
            }
        }
    }
}
