using S3Router.Core.Errors;

namespace S3Router.Core.Backbones;

/// <summary>
/// The architecture of a wav2vec2-family backbone, with Hugging Face <c>Wav2Vec2Config</c> / <c>HubertConfig</c>
/// field names (snake_case in <c>config.json</c>). Both styles: "base" (group-norm first conv layer, post-LN
/// encoder) and "stable layer norm" (layer-norm conv blocks, pre-LN encoder: XLS-R, wav2vec2-large-lv60, HuBERT-large).
/// Reference: https://huggingface.co/docs/transformers/model_doc/wav2vec2#transformers.Wav2Vec2Config
/// </summary>
public sealed record Wav2Vec2Config
{
    /// <summary><c>wav2vec2</c> or <c>hubert</c>. Default: <c>wav2vec2</c>.</summary>
    public string ModelType { get; init; } = "wav2vec2";

    /// <summary>Transformer width. Default: 768.</summary>
    public int HiddenSize { get; init; } = 768;

    /// <summary>Number of transformer layers. Default: 12.</summary>
    public int NumHiddenLayers { get; init; } = 12;

    /// <summary>Attention heads per layer; must divide <see cref="HiddenSize"/>. Default: 12.</summary>
    public int NumAttentionHeads { get; init; } = 12;

    /// <summary>Width of the feed-forward block. Default: 3072.</summary>
    public int IntermediateSize { get; init; } = 3072;

    /// <summary>Activation of the feed-forward block (<c>gelu</c>, <c>relu</c>, ...). Default: <c>gelu</c>.</summary>
    public string HiddenAct { get; init; } = "gelu";

    /// <summary>
    /// Epsilon of the feature projection and transformer LayerNorms. Default: 1e-5.
    /// The conv blocks' GroupNorm/LayerNorm always use 1e-5, as in Hugging Face.
    /// </summary>
    public double LayerNormEps { get; init; } = 1e-5;

    /// <summary><c>group</c> (GroupNorm on the first conv layer only) or <c>layer</c> (LayerNorm on every conv layer). Default: <c>group</c>.</summary>
    public string FeatExtractNorm { get; init; } = "group";

    /// <summary>Activation of the conv feature extractor. Default: <c>gelu</c>.</summary>
    public string FeatExtractActivation { get; init; } = "gelu";

    /// <summary>Output channels of each conv layer. Default: 7 × 512.</summary>
    public IReadOnlyList<int> ConvDim { get; init; } = [512, 512, 512, 512, 512, 512, 512];

    /// <summary>Stride of each conv layer (their product is the frame hop in samples). Default: 5,2,2,2,2,2,2 (320 = 20 ms at 16 kHz).</summary>
    public IReadOnlyList<int> ConvStride { get; init; } = [5, 2, 2, 2, 2, 2, 2];

    /// <summary>Kernel width of each conv layer. Default: 10,3,3,3,3,2,2.</summary>
    public IReadOnlyList<int> ConvKernel { get; init; } = [10, 3, 3, 3, 3, 2, 2];

    /// <summary>Whether the conv layers have biases. Default: false.</summary>
    public bool ConvBias { get; init; }

    /// <summary>Kernel width of the convolutional positional embedding. Default: 128.</summary>
    public int NumConvPosEmbeddings { get; init; } = 128;

    /// <summary>Groups of the convolutional positional embedding; must divide <see cref="HiddenSize"/>. Default: 16.</summary>
    public int NumConvPosEmbeddingGroups { get; init; } = 16;

    /// <summary>Pre-LN encoder and layer-norm conv blocks (XLS-R, large-lv60, HuBERT-large). Default: false.</summary>
    public bool DoStableLayerNorm { get; init; }

    /// <summary>LayerNorm before the feature projection; only HuBERT configs may switch it off (DistilHuBERT style). Default: true.</summary>
    public bool FeatProjLayerNorm { get; init; } = true;

    /// <summary>Dropout after attention/FFN outputs and on the positional embedding sum. Default: 0.1.</summary>
    public double HiddenDropout { get; init; } = 0.1;

    /// <summary>Dropout on attention probabilities. Default: 0.1.</summary>
    public double AttentionDropout { get; init; } = 0.1;

    /// <summary>Dropout inside the FFN after the activation. Default: 0.1.</summary>
    public double ActivationDropout { get; init; } = 0.1;

    /// <summary>Dropout after the feature projection. Default: 0.0.</summary>
    public double FeatProjDropout { get; init; }

    /// <summary>Probability of skipping a whole transformer layer in training. Default: 0.1.</summary>
    public double Layerdrop { get; init; } = 0.1;

    /// <summary>Size of a CTC head's vocabulary when the checkpoint has one. Default: 32.</summary>
    public int VocabSize { get; init; } = 32;

    /// <summary>SpecAugment time-mask probability in training; when it or <see cref="MaskFeatureProb"/> is above 0 the
    /// checkpoint has a <c>masked_spec_embed</c> vector. Default: 0.05.</summary>
    public double MaskTimeProb { get; init; } = 0.05;

    /// <summary>SpecAugment feature-mask probability in training. Default: 0.0.</summary>
    public double MaskFeatureProb { get; init; }

    /// <summary>Whether the model has the learned <c>masked_spec_embed</c> vector (Hugging Face creates it when a mask probability is above 0).</summary>
    public bool HasMaskedSpecEmbed => MaskTimeProb > 0 || MaskFeatureProb > 0;

    /// <summary>Number of conv layers in the feature extractor.</summary>
    public int NumFeatExtractLayers => ConvDim.Count;

    /// <summary>
    /// Width of one frame of the all-states features a statistics-pooling head reads (docs/formats.md, "Route heads"):
    /// conv_dim[-1] + (num_hidden_layers + 1) · hidden_size.
    /// </summary>
    public int AllStatesWidth => ConvDim[^1] + ((NumHiddenLayers + 1) * HiddenSize);

    /// <summary>Audio samples per output frame (the product of the strides).</summary>
    public int FrameHopSamples => ConvStride.Aggregate(1, (a, b) => a * b);

    /// <summary>Activation names accepted for <see cref="HiddenAct"/> and <see cref="FeatExtractActivation"/> (Hugging Face <c>ACT2FN</c> keys).</summary>
    public static IReadOnlyList<string> SupportedActivations => BackboneActivations.Names;

    /// <summary>Names accepted by <see cref="FromPreset"/>: <c>tiny</c>, <c>base</c>, <c>large</c>.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["tiny", "base", "large"];

    /// <summary>
    /// A backbone small enough to train on 2 CPU cores: the standard 7 conv layers (still 320 samples = 20 ms per frame)
    /// with 128 channels, hidden 256, 4 layers of 4 heads, FFN 1024, positional conv kernel 64 in 16 groups, group-norm style.
    /// </summary>
    public static Wav2Vec2Config Tiny { get; } = new()
    {
        ConvDim = [128, 128, 128, 128, 128, 128, 128],
        HiddenSize = 256,
        NumHiddenLayers = 4,
        NumAttentionHeads = 4,
        IntermediateSize = 1024,
        NumConvPosEmbeddings = 64,
        NumConvPosEmbeddingGroups = 16,
    };

    /// <summary>The Hugging Face <c>facebook/wav2vec2-base</c> shape (the record's defaults): 768 hidden, 12 layers, 12 heads, FFN 3072.</summary>
    public static Wav2Vec2Config Base { get; } = new();

    /// <summary>
    /// The wav2vec2-large-lv60 / XLS-R 300M shape: 1024 hidden, 24 layers, 16 heads, FFN 4096,
    /// layer-norm conv blocks with biases and the pre-LN ("stable layer norm") encoder.
    /// </summary>
    public static Wav2Vec2Config Large { get; } = new()
    {
        HiddenSize = 1024,
        NumHiddenLayers = 24,
        NumAttentionHeads = 16,
        IntermediateSize = 4096,
        FeatExtractNorm = "layer",
        ConvBias = true,
        DoStableLayerNorm = true,
    };

    /// <summary>Returns the preset with that name (<c>tiny</c>, <c>base</c> or <c>large</c>, case-insensitive).</summary>
    /// <exception cref="InvalidInputException">The name is not a preset; the message lists the valid names.</exception>
    public static Wav2Vec2Config FromPreset(string name)
    {
        return name?.Trim().ToLowerInvariant() switch
        {
            "tiny" => Tiny,
            "base" => Base,
            "large" => Large,
            _ => throw new InvalidInputException(
                $"Unknown backbone preset '{name}'. Valid presets: {string.Join(", ", PresetNames)}.", "preset"),
        };
    }

    /// <summary>Every rule this config breaks, each naming its <c>config.json</c> field; empty when the config is valid.</summary>
    public IReadOnlyList<FieldViolation> GetViolations() => Wav2Vec2ConfigValidator.Check(this);

    /// <summary>Throws when the config cannot be run by the model code.</summary>
    /// <exception cref="InvalidInputException">One or more fields are invalid; <see cref="InvalidInputException.Violations"/> lists them all.</exception>
    public Wav2Vec2Config Validate()
    {
        var violations = GetViolations();
        if (violations.Count > 0)
        {
            throw Wav2Vec2ConfigValidator.ToException("Invalid backbone config", violations);
        }

        return this;
    }
}
