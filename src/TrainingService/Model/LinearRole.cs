namespace S3Router.TrainingService.Model;

/// <summary>Where a linear layer sits, which decides whether a <see cref="Core.Backbones.MaskScope"/> masks it.</summary>
internal enum LinearRole
{
    FeedForward,
    Attention,
    FeatureProjection,
}
