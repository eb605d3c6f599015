using S3Router.Core.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// Multi-head self-attention with an additive key padding mask (HF <c>Wav2Vec2Attention</c>).
/// Reference: torchaudio/models/wav2vec2/components.py (SelfAttention).
/// </summary>
internal sealed class SelfAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> k_proj;
    private readonly nn.Module<Tensor, Tensor> v_proj;
    private readonly nn.Module<Tensor, Tensor> q_proj;
    private readonly nn.Module<Tensor, Tensor> out_proj;
    private readonly Dropout dropout;

    private readonly long _hidden;
    private readonly long _heads;
    private readonly long _headDim;
    private readonly double _scaling;

    public SelfAttention(string name, Wav2Vec2Config config, LinearFactory linears)
        : base(name)
    {
        _hidden = config.HiddenSize;
        _heads = config.NumAttentionHeads;
        _headDim = _hidden / _heads;
        _scaling = 1.0 / Math.Sqrt(_headDim);
        k_proj = linears.Create("k_proj", _hidden, _hidden, LinearRole.Attention);
        v_proj = linears.Create("v_proj", _hidden, _hidden, LinearRole.Attention);
        q_proj = linears.Create("q_proj", _hidden, _hidden, LinearRole.Attention);
        out_proj = linears.Create("out_proj", _hidden, _hidden, LinearRole.Attention);
        dropout = nn.Dropout(config.AttentionDropout);
        RegisterComponents();
    }

    /// <summary>
    /// x: [batch, frames, hidden]; attentionMask: additive [batch, 1, 1, frames] (0 for valid keys, a large
    /// negative for padding) or null. Returns [batch, frames, hidden].
    /// </summary>
    public override Tensor forward(Tensor x, Tensor? attentionMask)
    {
        if (x.dim() != 3 || x.shape[2] != _hidden)
        {
            throw new ArgumentException(
                $"SelfAttention expects [batch, frames, {_hidden}]; found [{string.Join(", ", x.shape)}].", nameof(x));
        }

        using var scope = NewDisposeScope();
        var (batch, frames) = (x.shape[0], x.shape[1]);
        var q = SplitHeads(q_proj.call(x), batch, frames);
        var k = SplitHeads(k_proj.call(x), batch, frames);
        var v = SplitHeads(v_proj.call(x), batch, frames);

        // softmax(q kᵀ / √d + mask) v, with q scaled first as Hugging Face does.
        var scores = torch.matmul(q * HeldScalar.Of(_scaling), k.transpose(-2, -1)); // [B, heads, T, T]
        if (attentionMask is not null)
        {
            scores = scores + attentionMask;
        }

        var weights = dropout.call(scores.softmax(-1));
        var context = torch.matmul(weights, v); // [B, heads, T, d]
        context = context.transpose(1, 2).reshape(batch, frames, _hidden); // [B, heads, T, d] -> [B, T, H]
        return out_proj.call(context).MoveToOuterDisposeScope();
    }

    // [B, T, H] -> [B, heads, T, head_dim]
    private Tensor SplitHeads(Tensor x, long batch, long frames) => x.view(batch, frames, _heads, _headDim).transpose(1, 2);
}
