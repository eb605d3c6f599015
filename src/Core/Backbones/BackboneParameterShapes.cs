using S3Router.Core.Errors;

namespace S3Router.Core.Backbones;

/// <summary>
/// The parameters of a wav2vec2/HuBERT backbone with their Hugging Face names (without the <c>wav2vec2.</c> /
/// <c>hubert.</c> prefix of the task models) and shapes, in the order the Hugging Face modules register them.
/// A real checkpoint has exactly these tensors; torchaudio's <c>import_huggingface_model</c> maps them one to one
/// (<c>feature_projection.*</c> = torchaudio <c>encoder.feature_projection.*</c>, <c>encoder.*</c> = <c>encoder.transformer.*</c>).
/// Reference: https://github.com/pytorch/audio/blob/main/torchaudio/models/wav2vec2/components.py
/// </summary>
public static class BackboneParameterShapes
{
    /// <summary>
    /// The learned SpecAugment vector [hidden]. Hugging Face has it only when a mask probability is above 0 and it plays
    /// no part in inference, so loaders treat it as optional.
    /// </summary>
    public const string MaskedSpecEmbed = "masked_spec_embed";

    /// <summary>Names a checkpoint may lack without being incomplete.</summary>
    public static IReadOnlyList<string> OptionalNames { get; } = [MaskedSpecEmbed];

    /// <summary>The prefix of backbone tensors inside task checkpoints (<c>Wav2Vec2ForCTC</c>, <c>HubertForCTC</c>, ...).</summary>
    public static string CheckpointPrefix(Wav2Vec2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.ModelType == "hubert" ? "hubert." : "wav2vec2.";
    }

    /// <summary>
    /// Name → shape of every backbone parameter, ordered. Conv weights are [out, in, kernel], Linear weights
    /// [out, in], the positional conv is weight-normed over dim 2: <c>weight_g</c> [1, 1, K],
    /// <c>weight_v</c> [hidden, hidden / groups, K]. Includes <see cref="MaskedSpecEmbed"/> when
    /// <see cref="Wav2Vec2Config.HasMaskedSpecEmbed"/>.
    /// </summary>
    /// <exception cref="InvalidInputException">The config is invalid.</exception>
    public static IReadOnlyDictionary<string, long[]> For(Wav2Vec2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var shapes = new OrderedDictionary<string, long[]>(StringComparer.Ordinal);
        long hidden = config.HiddenSize;
        long ffn = config.IntermediateSize;

        long inChannels = 1;
        for (var i = 0; i < config.NumFeatExtractLayers; i++)
        {
            long outChannels = config.ConvDim[i];
            var prefix = $"feature_extractor.conv_layers.{i}.";
            shapes[prefix + "conv.weight"] = [outChannels, inChannels, config.ConvKernel[i]];
            if (config.ConvBias)
            {
                shapes[prefix + "conv.bias"] = [outChannels];
            }

            // Group style: GroupNorm(out, out) on layer 0 only; layer style: LayerNorm(out) on every layer.
            if (config.FeatExtractNorm == "layer" || i == 0)
            {
                shapes[prefix + "layer_norm.weight"] = [outChannels];
                shapes[prefix + "layer_norm.bias"] = [outChannels];
            }

            inChannels = outChannels;
        }

        if (config.FeatProjLayerNorm)
        {
            shapes["feature_projection.layer_norm.weight"] = [inChannels];
            shapes["feature_projection.layer_norm.bias"] = [inChannels];
        }

        shapes["feature_projection.projection.weight"] = [hidden, inChannels];
        shapes["feature_projection.projection.bias"] = [hidden];

        if (config.HasMaskedSpecEmbed)
        {
            shapes[MaskedSpecEmbed] = [hidden];
        }

        // torch.nn.utils.weight_norm re-registers weight as weight_g/weight_v after the bias.
        long kernel = config.NumConvPosEmbeddings;
        shapes["encoder.pos_conv_embed.conv.bias"] = [hidden];
        shapes["encoder.pos_conv_embed.conv.weight_g"] = [1, 1, kernel];
        shapes["encoder.pos_conv_embed.conv.weight_v"] = [hidden, hidden / config.NumConvPosEmbeddingGroups, kernel];
        shapes["encoder.layer_norm.weight"] = [hidden];
        shapes["encoder.layer_norm.bias"] = [hidden];

        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            var prefix = $"encoder.layers.{i}.";
            foreach (var projection in new[] { "k_proj", "v_proj", "q_proj", "out_proj" })
            {
                shapes[$"{prefix}attention.{projection}.weight"] = [hidden, hidden];
                shapes[$"{prefix}attention.{projection}.bias"] = [hidden];
            }

            shapes[prefix + "layer_norm.weight"] = [hidden];
            shapes[prefix + "layer_norm.bias"] = [hidden];
            shapes[prefix + "feed_forward.intermediate_dense.weight"] = [ffn, hidden];
            shapes[prefix + "feed_forward.intermediate_dense.bias"] = [ffn];
            shapes[prefix + "feed_forward.output_dense.weight"] = [hidden, ffn];
            shapes[prefix + "feed_forward.output_dense.bias"] = [hidden];
            shapes[prefix + "final_layer_norm.weight"] = [hidden];
            shapes[prefix + "final_layer_norm.bias"] = [hidden];
        }

        return shapes;
    }

    /// <summary>Total number of parameters (elements) of <see cref="For"/>; wav2vec2-base: 94,371,712 with <c>masked_spec_embed</c>.</summary>
    public static long CountParameters(Wav2Vec2Config config) =>
        For(config).Values.Sum(shape => shape.Aggregate(1L, (a, b) => a * b));

    /// <summary>
    /// The Linear weights (<c>.weight</c> only, never biases) a route mask may cover under <paramref name="scope"/>,
    /// in the order of <see cref="For"/>. Each is a [out, in] tensor of the shapes table.
    /// </summary>
    public static IReadOnlyList<string> MaskableTensors(Wav2Vec2Config config, MaskScope scope)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!Enum.IsDefined(scope))
        {
            throw new InvalidInputException($"Unknown mask scope {(int)scope}.", "mask_scope");
        }

        config.Validate();
        var names = new List<string>();
        if (scope == MaskScope.AllLinear)
        {
            names.Add("feature_projection.projection.weight");
        }

        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            var prefix = $"encoder.layers.{i}.";
            if (scope != MaskScope.FeedForward)
            {
                names.AddRange(new[] { "k_proj", "v_proj", "q_proj", "out_proj" }.Select(p => $"{prefix}attention.{p}.weight"));
            }

            names.Add(prefix + "feed_forward.intermediate_dense.weight");
            names.Add(prefix + "feed_forward.output_dense.weight");
        }

        return names;
    }
}
