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

    /// <summary>Epsilon of every LayerNorm/GroupNorm. Default: 1e-5.</summary>
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

    /// <summary>LayerNorm before the feature projection (HuBERT may switch it off). Default: true.</summary>
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

    /// <summary>Number of conv layers in the feature extractor.</summary>
    public int NumFeatExtractLayers => ConvDim.Count;

    /// <summary>Audio samples per output frame (the product of the strides).</summary>
    public int FrameHopSamples => ConvStride.Aggregate(1, (a, b) => a * b);
}
