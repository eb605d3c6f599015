namespace S3Router.TrainingService.Model;

/// <summary>How the real-valued mask scores start (S3-Router's <c>init_score</c>).</summary>
public enum ScoreInit
{
    /// <summary>Kaiming-uniform random scores (a = √5, as nn.Linear's weight init); <c>kaiming_uniform</c>.</summary>
    KaimingUniform,

    /// <summary>Scores = the top-k mask of |W| (0/1), so training starts from magnitude pruning; <c>weight_magnitude</c>.</summary>
    WeightMagnitude,

    /// <summary>Scores = W / scale, for pruning a finetuned model; <c>weight_magnitude_with_scale</c>.</summary>
    WeightMagnitudeWithScale,

    /// <summary>Kaiming-uniform scores reordered so the largest |score| sits on the largest |W|; <c>weight_rank</c>.</summary>
    WeightRank,
}
