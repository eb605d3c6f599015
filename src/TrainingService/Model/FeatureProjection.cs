using S3Router.Core.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// LayerNorm (optional for HuBERT), Linear to the transformer width, dropout (HF <c>feature_projection</c>).
/// Reference: torchaudio/models/wav2vec2/components.py (FeatureProjection).
/// </summary>
internal sealed class FeatureProjection : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm? layer_norm;
    private readonly nn.Module<Tensor, Tensor> projection;
    private readonly Dropout dropout;

    private readonly long _inFeatures;

    public FeatureProjection(Wav2Vec2Config config, LinearFactory linears)
        : base(nameof(FeatureProjection))
    {
        _inFeatures = config.ConvDim[^1];
        layer_norm = config.FeatProjLayerNorm ? nn.LayerNorm(_inFeatures, eps: config.LayerNormEps) : null;
        projection = linears.Create("feature_projection.projection", _inFeatures, config.HiddenSize, LinearRole.FeatureProjection);
        dropout = nn.Dropout(config.FeatProjDropout);
        RegisterComponents();
    }

    /// <summary>x: [batch, frames, conv_dim[-1]] -> [batch, frames, hidden_size].</summary>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 3 || x.shape[2] != _inFeatures)
        {
            throw new ArgumentException(
                $"FeatureProjection expects [batch, frames, {_inFeatures}]; found [{string.Join(", ", x.shape)}].", nameof(x));
        }

        using var scope = NewDisposeScope();
        var y = layer_norm is null ? x : layer_norm.call(x);
        y = dropout.call(projection.call(y));
        return y.MoveToOuterDisposeScope();
    }
}
