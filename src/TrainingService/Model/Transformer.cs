using S3Router.Core.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// The stack of transformer layers with LayerDrop; its children are named 0..n-1 so that, as the encoder's
/// <c>layers</c>, its parameters read <c>encoder.layers.{i}.*</c> as in Hugging Face checkpoints.
/// Reference: torchaudio/models/wav2vec2/components.py (Transformer).
/// </summary>
internal sealed class Transformer : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly List<EncoderLayer> _layers = [];
    private readonly double _layerDrop;

    public Transformer(Wav2Vec2Config config, LinearFactory linears)
        : base(nameof(Transformer))
    {
        _layerDrop = config.Layerdrop;
        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            var layer = new EncoderLayer(i.ToString(System.Globalization.CultureInfo.InvariantCulture), config, linears);
            _layers.Add(layer);
            register_module(layer.GetName(), layer);
        }
    }

    public IReadOnlyList<EncoderLayer> Layers => _layers;

    /// <summary>x: [batch, frames, hidden]; attentionMask: additive [batch, 1, 1, frames] or null. Returns [batch, frames, hidden].</summary>
    public override Tensor forward(Tensor x, Tensor? attentionMask) => ForwardFirst(x, attentionMask, _layers.Count);

    /// <summary>As <see cref="forward"/> through the first <paramref name="count"/> layers only (0: x itself). Returns [batch, frames, hidden].</summary>
    public Tensor ForwardFirst(Tensor x, Tensor? attentionMask, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _layers.Count);
        using var scope = NewDisposeScope();
        return ForwardStates(x, attentionMask, count)[^1].MoveToOuterDisposeScope();
    }

    /// <summary>x, then the output of each of the first <paramref name="count"/> layers (all by default), in the caller's dispose scope.</summary>
    public IReadOnlyList<Tensor> ForwardStates(Tensor x, Tensor? attentionMask, int? count = null)
    {
        var states = new List<Tensor> { x.alias() };
        foreach (var layer in _layers.Take(count ?? _layers.Count))
        {
            // LayerDrop (training only): skip the whole layer with probability layerdrop.
            var skip = training && _layerDrop > 0 && torch.rand(1).item<float>() < _layerDrop;
            states.Add(skip ? states[^1] : layer.call(states[^1], attentionMask));
        }

        return states;
    }
}
