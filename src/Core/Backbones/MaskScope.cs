namespace S3Router.Core.Backbones;

/// <summary>Which Linear weights of the backbone a route mask may cover (S3-Router never masks convs, norms or biases).</summary>
public enum MaskScope
{
    /// <summary>The FFN of every transformer layer (<c>intermediate_dense</c>, <c>output_dense</c>): the published <c>fix_attn=true</c> recipes.</summary>
    FeedForward,

    /// <summary>The FFN plus the attention <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>out_proj</c> (the pruning recipe).</summary>
    FeedForwardAndAttention,

    /// <summary>Every Linear of the backbone: FFN, attention and <c>feature_projection.projection</c>.</summary>
    AllLinear,
}
