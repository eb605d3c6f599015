using S3Router.Core.Backbones;

namespace S3Router.TrainingService.Model;

/// <summary>Which tensors of a backbone are masked and how much of each is kept.</summary>
public sealed record MaskingOptions
{
    /// <summary>
    /// Masked linear layers: <see cref="MaskScope.FeedForward"/> (S3-Router's <c>fix_attn=true</c>), plus attention, or
    /// plus the feature projection (<see cref="MaskScope.AllLinear"/>). Default: <see cref="MaskScope.FeedForward"/>.
    /// </summary>
    public MaskScope Scope { get; init; } = MaskScope.FeedForward;

    /// <summary>Fraction of each masked tensor that is KEPT (S3-Router's <c>prune_rate</c>), in (0, 1]. Default: 0.9.</summary>
    public double PruneRate { get; init; } = 0.9;
}
