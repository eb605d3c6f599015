using S3Router.Core.Backbones;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// The position-wise FFN: Linear, activation, dropout, Linear, dropout (HF <c>Wav2Vec2FeedForward</c>).
/// Reference: torchaudio/models/wav2vec2/components.py (FeedForward).
/// </summary>
internal sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Dropout intermediate_dropout;
    private readonly nn.Module<Tensor, Tensor> intermediate_dense;
    private readonly nn.Module<Tensor, Tensor> output_dense;
    private readonly Dropout output_dropout;

    private readonly Func<Tensor, Tensor> _activation;

    public FeedForward(string name, Wav2Vec2Config config, LinearFactory linears)
        : base(name)
    {
        intermediate_dropout = nn.Dropout(config.ActivationDropout);
        intermediate_dense = linears.Create("intermediate_dense", config.HiddenSize, config.IntermediateSize, LinearRole.FeedForward);
        output_dense = linears.Create("output_dense", config.IntermediateSize, config.HiddenSize, LinearRole.FeedForward);
        output_dropout = nn.Dropout(config.HiddenDropout);
        _activation = Activations.Get(config.HiddenAct, "hidden_act");
        RegisterComponents();
    }

    /// <summary>x: [batch, frames, hidden] -> [batch, frames, hidden].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = intermediate_dropout.call(_activation(intermediate_dense.call(x))); // [B, T, intermediate]
        y = output_dropout.call(output_dense.call(y)); // [B, T, H]
        return y.MoveToOuterDisposeScope();
    }
}
