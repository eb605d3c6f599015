namespace S3Router.TrainingService.Model;

/// <summary>Which linear layers of the backbone get a learned mask.</summary>
[Flags]
public enum MaskTargets
{
    /// <summary>No masked layer: a plain backbone.</summary>
    None = 0,

    /// <summary>The FFN of every transformer layer (<c>feed_forward.intermediate_dense</c>, <c>output_dense</c>).</summary>
    FeedForward = 1,

    /// <summary>The attention projections of every transformer layer (<c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>out_proj</c>).</summary>
    Attention = 2,

    /// <summary>The feature projection (<c>feature_projection.projection</c>).</summary>
    FeatureProjection = 4,

    /// <summary>The published S3-Router recipe <c>fix_attn=true</c>: only the FFN is masked.</summary>
    FixAttn = FeedForward,
}
