namespace S3Router.TrainingService.Model;

/// <summary>Normalization of one conv block of the feature extractor.</summary>
internal enum ConvNorm
{
    /// <summary>No normalization (base style, layers 1..n).</summary>
    None,

    /// <summary>GroupNorm with one group per channel over time (base style, layer 0).</summary>
    Group,

    /// <summary>LayerNorm over channels of each frame (stable-layer-norm style, every layer).</summary>
    Layer,
}
