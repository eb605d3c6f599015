using S3Router.Core.Backbones;

namespace S3Router.Testing;

/// <summary>Seeded-test-sized backbone configs of both styles (hidden 32, 2 layers, 3 conv layers with a hop of 20 samples).</summary>
public static class TinyConfigs
{
    /// <summary>Base style: group norm on conv layer 0, post-LN encoder, even positional kernel.</summary>
    public static Wav2Vec2Config Base { get; } = new()
    {
        HiddenSize = 32,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        IntermediateSize = 64,
        ConvDim = [16, 16, 16],
        ConvKernel = [10, 3, 3],
        ConvStride = [5, 2, 2],
        NumConvPosEmbeddings = 16,
        NumConvPosEmbeddingGroups = 4,
    };

    /// <summary>
    /// The standard 7-layer conv frontend (320 samples per frame, as real checkpoints) with tiny widths, and no dropout
    /// or layer drop so training tests learn fast and deterministically.
    /// </summary>
    public static Wav2Vec2Config StandardFrontend { get; } = new()
    {
        ConvDim = [32, 32, 32, 32, 32, 32, 32],
        HiddenSize = 32,
        NumHiddenLayers = 2,
        NumAttentionHeads = 2,
        IntermediateSize = 64,
        NumConvPosEmbeddings = 16,
        NumConvPosEmbeddingGroups = 4,
        HiddenDropout = 0,
        AttentionDropout = 0,
        ActivationDropout = 0,
        Layerdrop = 0,
        MaskTimeProb = 0,
    };

    /// <summary>Stable layer norm style: layer-norm conv blocks with biases, pre-LN encoder, odd positional kernel.</summary>
    public static Wav2Vec2Config Stable { get; } = Base with
    {
        FeatExtractNorm = "layer",
        DoStableLayerNorm = true,
        ConvBias = true,
        NumConvPosEmbeddings = 15,
    };

    /// <summary><see cref="Stable"/> or <see cref="Base"/>.</summary>
    public static Wav2Vec2Config ByStyle(bool stable) => stable ? Stable : Base;

    /// <summary><see cref="Stable"/> for "stable", else <see cref="Base"/>.</summary>
    public static Wav2Vec2Config ByStyle(string style) => ByStyle(style == "stable");

    /// <summary>
    /// The torchaudio reference tests' configs: hidden 48, 2 layers, 3 conv layers (hop 20 samples); the stable style
    /// has uneven conv widths and 3 positional conv groups, so no dimension is accidentally interchangeable.
    /// </summary>
    public static Wav2Vec2Config Reference(bool stable) => new()
    {
        HiddenSize = 48,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        IntermediateSize = 96,
        FeatExtractNorm = stable ? "layer" : "group",
        DoStableLayerNorm = stable,
        ConvDim = stable ? [24, 40, 40] : [32, 32, 32],
        ConvKernel = [10, 3, 2],
        ConvStride = [5, 2, 2],
        ConvBias = stable,
        NumConvPosEmbeddings = stable ? 15 : 16,
        NumConvPosEmbeddingGroups = stable ? 3 : 4,
    };
}
