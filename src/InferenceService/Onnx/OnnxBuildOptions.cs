using S3Router.Core.Masks;

namespace S3Router.InferenceService.Onnx;

/// <summary>How <see cref="Wav2Vec2OnnxBuilder"/> shapes the graph beyond config, weights and mask.</summary>
public sealed record OnnxBuildOptions
{
    /// <summary>
    /// Remove attention heads, FFN units and conv channels whose every reading weight is zero (structured pruning), so
    /// the graph is physically smaller; the outputs are the same up to float rounding. Default: true.
    /// </summary>
    public bool Shrink { get; init; } = true;

    /// <summary>Drop low-information frames between the conv frontend and the transformer. Default: null (none).</summary>
    public TokenDroppingSettings? TokenDropping { get; init; }

    /// <summary>
    /// Also output every hidden state for statistics pooling (<see cref="Wav2Vec2OnnxBuilder.ConvFeaturesOutput"/>,
    /// <see cref="Wav2Vec2OnnxBuilder.FrontendHiddenOutput"/>, <see cref="Wav2Vec2OnnxBuilder.EncoderStatesOutput"/>);
    /// not with token dropping. Default: false.
    /// </summary>
    public bool HiddenStates { get; init; }
}
