using S3Router.Core.Backbones;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// Relative positions from a wide grouped conv over the frames: weight-norm conv with padding K/2, one frame
/// dropped when K is even, GELU (HF <c>encoder.pos_conv_embed</c>).
/// Reference: torchaudio/models/wav2vec2/components.py (ConvolutionalPositionalEmbedding).
/// </summary>
internal sealed class ConvolutionalPositionalEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly WeightNormConv1d conv;

    private readonly bool _dropLast;
    private readonly Func<Tensor, Tensor> _activation;

    public ConvolutionalPositionalEmbedding(Wav2Vec2Config config)
        : base(nameof(ConvolutionalPositionalEmbedding))
    {
        conv = new WeightNormConv1d("conv", config.HiddenSize, config.NumConvPosEmbeddings, config.NumConvPosEmbeddingGroups);
        _dropLast = config.NumConvPosEmbeddings % 2 == 0;
        _activation = Activations.Get(config.FeatExtractActivation, "feat_extract_activation");
        RegisterComponents();
    }

    /// <summary>x: [batch, frames, hidden] -> positional embedding [batch, frames, hidden].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = conv.call(x.transpose(1, 2)); // [B, T, H] -> [B, H, T (+1 when K is even)]
        if (_dropLast)
        {
            y = y.narrow(2, 0, y.shape[2] - 1);
        }

        y = _activation(y).transpose(1, 2); // [B, H, T] -> [B, T, H]
        return y.MoveToOuterDisposeScope();
    }
}
