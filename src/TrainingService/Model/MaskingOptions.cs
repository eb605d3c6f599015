namespace S3Router.TrainingService.Model;

/// <summary>Which tensors of a backbone are masked and how much of each is kept.</summary>
public sealed record MaskingOptions
{
    /// <summary>Masked layers. Default: <see cref="MaskTargets.FixAttn"/> (FFN only).</summary>
    public MaskTargets Targets { get; init; } = MaskTargets.FixAttn;

    /// <summary>Fraction of each masked tensor that is KEPT (S3-Router's <c>prune_rate</c>), in (0, 1]. Default: 0.9.</summary>
    public double PruneRate { get; init; } = 0.9;
}
