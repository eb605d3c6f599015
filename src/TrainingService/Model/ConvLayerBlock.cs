using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// One conv block of the feature extractor: Conv1d, optional norm, activation (HF <c>Wav2Vec2*ConvLayer</c>).
/// With lengths, the group norm's statistics cover only each item's valid frames, so a padded batch gives
/// the same valid frames as each item alone (Hugging Face and torchaudio normalize over the padding too).
/// Reference: torchaudio/models/wav2vec2/components.py (ConvLayerBlock).
/// </summary>
internal sealed class ConvLayerBlock : nn.Module<Tensor, Tensor?, (Tensor Output, Tensor? Lengths)>
{
    private readonly Conv1d conv;
    private readonly nn.Module<Tensor, Tensor>? layer_norm;

    private readonly ConvNorm _norm;
    private readonly long _kernel;
    private readonly long _stride;
    private readonly long _inChannels;
    private readonly double _eps;
    private readonly Func<Tensor, Tensor> _activation;

    public ConvLayerBlock(string name, long inChannels, long outChannels, long kernel, long stride, bool bias,
        ConvNorm norm, double eps, Func<Tensor, Tensor> activation)
        : base(name)
    {
        conv = nn.Conv1d(inChannels, outChannels, kernel, stride: stride, bias: bias);
        layer_norm = norm switch
        {
            ConvNorm.Group => CreateGroupNorm(outChannels, eps),
            ConvNorm.Layer => nn.LayerNorm(outChannels, eps: eps),
            _ => null,
        };
        _norm = norm;
        _kernel = kernel;
        _stride = stride;
        _inChannels = inChannels;
        _eps = eps;
        _activation = activation;
        RegisterComponents();
    }

    /// <summary>Output frames of a conv with this block's kernel and stride: floor((L - K) / S) + 1, at least 0.</summary>
    public long OutputLength(long length) => length < _kernel ? 0 : ((length - _kernel) / _stride) + 1;

    /// <summary>
    /// x: [batch, in_channels, in_frames]; lengths: [batch] int64 valid input frames, or null when none is padded.
    /// Returns [batch, out_channels, out_frames] and the valid output frames [batch] (null when lengths is null).
    /// </summary>
    public override (Tensor Output, Tensor? Lengths) forward(Tensor x, Tensor? lengths)
    {
        if (x.dim() != 3 || x.shape[1] != _inChannels)
        {
            throw new ArgumentException(
                $"ConvLayerBlock expects [batch, {_inChannels}, frames]; found [{string.Join(", ", x.shape)}].", nameof(x));
        }

        using var scope = NewDisposeScope();
        var y = conv.call(x);
        Tensor? outLengths = null;
        if (lengths is not null)
        {
            outLengths = (torch.div(lengths - HeldScalar.Of(_kernel), HeldScalar.Of(_stride), RoundingMode.floor) + HeldScalar.Of(1L)).clamp_min(HeldScalar.Of(0L)).to(ScalarType.Int64);
        }

        switch (_norm)
        {
            case ConvNorm.Group when outLengths is not null:
                y = MaskedInstanceNorm(y, outLengths);
                break;
            case ConvNorm.Group:
                y = layer_norm!.call(y);
                break;
            case ConvNorm.Layer:
                y = layer_norm!.call(y.transpose(1, 2)).transpose(1, 2); // [B, T, C] for LayerNorm, back to [B, C, T]
                break;
        }

        y = _activation(y);
        return (y.MoveToOuterDisposeScope(), outLengths?.MoveToOuterDisposeScope());
    }

    private static GroupNorm CreateGroupNorm(long channels, double eps)
    {
        var groupNorm = nn.GroupNorm(channels, channels, eps: eps, affine: true);
        // TorchSharp 0.107 leaves GroupNorm's affine parameters uninitialized (garbage, sometimes NaN): set them.
        using (torch.no_grad())
        {
            groupNorm.weight!.fill_(HeldScalar.Of(1.0));
            groupNorm.bias!.zero_();
        }

        return groupNorm;
    }

    // GroupNorm(C groups, C channels) = per-channel normalization over time; here over valid frames only.
    private Tensor MaskedInstanceNorm(Tensor y, Tensor lengths)
    {
        var groupNorm = (GroupNorm)layer_norm!;
        var frames = y.shape[2];
        var valid = (torch.arange(HeldScalar.Of(frames), device: y.device).unsqueeze(0) < lengths.unsqueeze(1)) // [B, T]
            .unsqueeze(1).to(y.dtype); // [B, 1, T]
        var count = valid.sum(-1, keepdim: true).clamp_min(HeldScalar.Of(1.0)); // [B, 1, 1]
        var mean = (y * valid).sum(-1, keepdim: true) / count; // [B, C, 1]
        var centered = y - mean;
        var variance = (centered * centered * valid).sum(-1, keepdim: true) / count; // biased, as GroupNorm; not square() (see HeldScalar)
        var normalized = centered * torch.rsqrt(variance + HeldScalar.Of(_eps));
        return (normalized * groupNorm.weight!.view(1, -1, 1)) + groupNorm.bias!.view(1, -1, 1);
    }
}
