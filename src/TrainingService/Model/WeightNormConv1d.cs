using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// Conv1d with weight normalization over dim 2 (PyTorch's <c>weight_norm(conv, dim=2)</c>):
/// weight = weight_g · weight_v / ‖weight_v‖, the norm taken over dims 0 and 1 for each kernel tap.
/// Parameters: <c>weight_g</c> [1, 1, K], <c>weight_v</c> [C, C / groups, K], <c>bias</c> [C].
/// </summary>
internal sealed class WeightNormConv1d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight_g;
    private readonly Parameter weight_v;
    private readonly Parameter bias;

    private readonly long _channels;
    private readonly long _padding;
    private readonly long _groups;

    public WeightNormConv1d(string name, long channels, long kernel, long groups)
        : base(name)
    {
        _channels = channels;
        _padding = kernel / 2;
        _groups = groups;
        var v = nn.init.normal_(torch.empty(channels, channels / groups, kernel), std: Math.Sqrt(4.0 / (kernel * channels)));
        weight_v = new Parameter(v);
        weight_g = new Parameter(Norm(weight_v).detach());
        bias = new Parameter(torch.zeros(channels));
        RegisterComponents();
    }

    /// <summary>x: [batch, channels, frames] -> [batch, channels, frames + 2·(K/2) - K + 1].</summary>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 3 || x.shape[1] != _channels)
        {
            throw new ArgumentException(
                $"WeightNormConv1d expects [batch, {_channels}, frames]; found [{string.Join(", ", x.shape)}].", nameof(x));
        }

        using var scope = NewDisposeScope();
        var weight = weight_v * (weight_g / Norm(weight_v));
        return nn.functional.conv1d(x, weight, bias, padding: _padding, groups: _groups).MoveToOuterDisposeScope();
    }

    // ‖v‖ over every dim but 2: [C, C/g, K] -> [1, 1, K].
    // v * v, not square(): TorchSharp turns square() into pow with an implicit Scalar (see HeldScalar).
    private static Tensor Norm(Tensor v) => (v * v).sum([0, 1], keepdim: true).sqrt();
}
