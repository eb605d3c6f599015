using S3Router.Core.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// The context network (HF <c>encoder</c>): zero the padded frames, add the convolutional positional embedding,
/// then the transformer layers; base style normalizes before the layers (post-LN layers), stable layer norm
/// style after them (pre-LN layers). Padded keys are excluded from attention by an additive mask.
/// Reference: torchaudio/models/wav2vec2/components.py (Encoder, Transformer).
/// </summary>
internal sealed class Encoder : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ConvolutionalPositionalEmbedding pos_conv_embed;
    private readonly LayerNorm layer_norm;
    private readonly Dropout dropout;
    private readonly Transformer layers;

    private readonly bool _stableLayerNorm;
    private readonly long _hidden;

    public Encoder(Wav2Vec2Config config, LinearFactory linears)
        : base(nameof(Encoder))
    {
        pos_conv_embed = new ConvolutionalPositionalEmbedding(config);
        layer_norm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropout);
        layers = new Transformer(config, linears);
        _stableLayerNorm = config.DoStableLayerNorm;
        _hidden = config.HiddenSize;
        RegisterComponents();
    }

    public Transformer Layers => layers;

    /// <summary>
    /// x: [batch, frames, hidden]; frameLengths: [batch] int64 valid frames, or null when none is padded.
    /// Returns [batch, frames, hidden]; frames past an item's length hold no meaningful values.
    /// </summary>
    public override Tensor forward(Tensor x, Tensor? frameLengths) => ForwardLayers(x, frameLengths, layers.Layers.Count);

    /// <summary>
    /// As <see cref="forward"/>, but returns the hidden states after the first <paramref name="layerCount"/> transformer
    /// layers (Hugging Face's <c>hidden_states[layerCount]</c>): 0 is the transformer's input (after the positional
    /// embedding and, in base style, the layer norm); the stable-layer-norm style's final layer norm applies only when
    /// all layers run. Returns [batch, frames, hidden].
    /// </summary>
    public Tensor ForwardLayers(Tensor x, Tensor? frameLengths, int layerCount)
    {
        using var scope = NewDisposeScope();
        var (input, attentionMask) = LayersInput(x, frameLengths);
        var y = layers.ForwardFirst(input, attentionMask, layerCount);
        y = _stableLayerNorm && layerCount == layers.Layers.Count ? layer_norm.call(y) : y;
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Every hidden state of one pass (Hugging Face's <c>hidden_states</c>): element 0 is the transformer's input,
    /// element i the output of layer i, the last one what <see cref="forward"/> returns. Each [batch, frames, hidden].
    /// </summary>
    public IReadOnlyList<Tensor> ForwardAllStates(Tensor x, Tensor? frameLengths)
    {
        using var scope = NewDisposeScope();
        var (input, attentionMask) = LayersInput(x, frameLengths);
        var states = layers.ForwardStates(input, attentionMask).ToList();
        if (_stableLayerNorm)
        {
            states[^1] = layer_norm.call(states[^1]);
        }

        foreach (var state in states)
        {
            state.MoveToOuterDisposeScope();
        }

        return states;
    }

    /// <summary>The first layer's input (padded frames zeroed, positional embedding, base style layer norm, dropout) and the additive attention mask.</summary>
    private (Tensor Input, Tensor? AttentionMask) LayersInput(Tensor x, Tensor? frameLengths)
    {
        if (x.dim() != 3 || x.shape[2] != _hidden)
        {
            throw new ArgumentException(
                $"Encoder expects [batch, frames, {_hidden}]; found [{string.Join(", ", x.shape)}].", nameof(x));
        }

        Tensor? attentionMask = null;
        var y = x.alias();
        if (frameLengths is not null)
        {
            var padded = torch.arange(HeldScalar.Of(x.shape[1]), device: x.device).unsqueeze(0) >= frameLengths.unsqueeze(1); // [B, T]
            y = y.masked_fill(padded.unsqueeze(-1), HeldScalar.Of(0.0)); // as HF: padded frames are zero before the positional conv
            attentionMask = torch.zeros(padded.shape, dtype: x.dtype, device: x.device)
                .masked_fill(padded, HeldScalar.Of((double)float.MinValue))
                .view(x.shape[0], 1, 1, x.shape[1]); // [B, 1, 1, T], broadcast over heads and queries
        }

        y = y + pos_conv_embed.call(y);
        return (dropout.call(_stableLayerNorm ? y : layer_norm.call(y)), attentionMask);
    }
}
