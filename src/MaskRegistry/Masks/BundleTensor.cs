namespace S3Router.MaskRegistry.Masks;

/// <summary>One masked backbone tensor of a bundle.</summary>
/// <param name="Name">Backbone parameter name.</param>
/// <param name="Shape">The parameter's shape.</param>
/// <param name="KeepRatio">Fraction of its weights kept.</param>
internal sealed record BundleTensor(string Name, IReadOnlyList<long> Shape, double KeepRatio);
