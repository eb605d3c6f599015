using S3Router.Core.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// One transformer layer: attention and FFN blocks with residuals; post-LN (base style) or pre-LN (stable
/// layer norm style) (HF <c>Wav2Vec2EncoderLayer</c> / <c>Wav2Vec2EncoderLayerStableLayerNorm</c>).
/// Reference: torchaudio/models/wav2vec2/components.py (EncoderLayer).
/// </summary>
internal sealed class EncoderLayer : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly SelfAttention attention;
    private readonly Dropout dropout;
    private readonly LayerNorm layer_norm;
    private readonly FeedForward feed_forward;
    private readonly LayerNorm final_layer_norm;

    private readonly bool _preNorm;

    public EncoderLayer(string name, Wav2Vec2Config config, LinearFactory linears)
        : base(name)
    {
        attention = new SelfAttention("attention", config, linears);
        dropout = nn.Dropout(config.HiddenDropout);
        layer_norm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        feed_forward = new FeedForward("feed_forward", config, linears);
        final_layer_norm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        _preNorm = config.DoStableLayerNorm;
        RegisterComponents();
    }

    /// <summary>x: [batch, frames, hidden]; attentionMask: additive [batch, 1, 1, frames] or null. Returns [batch, frames, hidden].</summary>
    public override Tensor forward(Tensor x, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        Tensor y;
        if (_preNorm)
        {
            y = x + dropout.call(attention.call(layer_norm.call(x), attentionMask));
            y = y + feed_forward.call(final_layer_norm.call(y));
        }
        else
        {
            y = layer_norm.call(x + dropout.call(attention.call(x, attentionMask)));
            y = final_layer_norm.call(y + feed_forward.call(y));
        }

        return y.MoveToOuterDisposeScope();
    }
}
