using S3Router.Core.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// The conv feature encoder: raw audio to frames (HF <c>feature_extractor</c>, <c>Wav2Vec2FeatureEncoder</c>).
/// Reference: torchaudio/models/wav2vec2/components.py (FeatureExtractor).
/// </summary>
internal sealed class FeatureExtractor : nn.Module<Tensor, Tensor?, (Tensor Features, Tensor? Lengths)>
{
    private readonly ModuleList<ConvLayerBlock> conv_layers;

    public FeatureExtractor(Wav2Vec2Config config)
        : base(nameof(FeatureExtractor))
    {
        var activation = Activations.Get(config.FeatExtractActivation, "feat_extract_activation");
        var layerStyle = config.FeatExtractNorm == "layer";
        conv_layers = new ModuleList<ConvLayerBlock>();
        long inChannels = 1;
        for (var i = 0; i < config.ConvDim.Count; i++)
        {
            var norm = layerStyle ? ConvNorm.Layer : i == 0 ? ConvNorm.Group : ConvNorm.None;
            conv_layers.Add(new ConvLayerBlock($"conv_layers.{i}", inChannels, config.ConvDim[i], config.ConvKernel[i],
                config.ConvStride[i], config.ConvBias, norm, config.LayerNormEps, activation));
            inChannels = config.ConvDim[i];
        }

        RegisterComponents();
    }

    /// <summary>Valid output frames for an input of <paramref name="samples"/> samples.</summary>
    public long OutputLength(long samples)
    {
        var length = samples;
        foreach (var layer in conv_layers)
        {
            length = layer.OutputLength(length);
        }

        return length;
    }

    /// <summary>
    /// waveforms: [batch, samples]; lengths: [batch] int64 valid samples, or null when none is padded.
    /// Returns features [batch, frames, conv_dim[-1]] and valid frames [batch] (null when lengths is null).
    /// </summary>
    public override (Tensor Features, Tensor? Lengths) forward(Tensor waveforms, Tensor? lengths)
    {
        if (waveforms.dim() != 2)
        {
            throw new ArgumentException(
                $"FeatureExtractor expects [batch, samples]; found [{string.Join(", ", waveforms.shape)}].", nameof(waveforms));
        }

        using var scope = NewDisposeScope();
        var x = waveforms.unsqueeze(1); // [B, 1, S]
        var frames = lengths;
        foreach (var layer in conv_layers)
        {
            (x, frames) = layer.call(x, frames);
        }

        x = x.transpose(1, 2); // [B, C, T] -> [B, T, C]
        return (x.MoveToOuterDisposeScope(), frames?.MoveToOuterDisposeScope());
    }
}
