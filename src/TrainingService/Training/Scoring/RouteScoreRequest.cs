namespace S3Router.TrainingService.Training.Scoring;

/// <summary>What <see cref="RouteEvaluator"/> scores: one trained route on one split of a fairseq manifest directory.</summary>
public sealed record RouteScoreRequest
{
    /// <summary>Default of <see cref="MaxTokens"/>: 1,280,000 samples (80 s at 16 kHz), as jobs.</summary>
    public const long DefaultMaxTokens = JobOptions.DefaultMaxTokens;

    /// <summary>
    /// The route: a mask bundle (<c>.safetensors</c> of a mask, head, prune or structured-prune job), or a weights job's
    /// model directory (<c>config.json</c>, <c>model.safetensors</c>, <c>head.safetensors</c>).
    /// </summary>
    public required string RoutePath { get; init; }

    /// <summary>Backbone directory the bundle was trained on; ignored (may be null) for a weights job's model directory.</summary>
    public string? BackbonePath { get; init; }

    /// <summary>Directory with <c>&lt;split&gt;.tsv</c> and its label file.</summary>
    public required string ManifestDir { get; init; }

    /// <summary>Split to score. Default: <c>test</c>.</summary>
    public string Split { get; init; } = "test";

    /// <summary>Label file extension; empty for the default (<c>ltr</c> for CTC routes, <c>label</c> for classifiers).</summary>
    public string LabelExtension { get; init; } = "";

    /// <summary>Audio samples per batch, as a job's <c>max_tokens</c>; results do not depend on it. Default: 1,280,000 (80 s).</summary>
    public long MaxTokens { get; init; } = DefaultMaxTokens;

    /// <summary>Also decode CTC routes with the prefix beam search (width 8), as a job's test metrics. Default: true.</summary>
    public bool Beam { get; init; } = true;

    /// <summary>Prefix of the metric names (<c>&lt;prefix&gt;_cer</c>, ...); empty for the split's name.</summary>
    public string MetricPrefix { get; init; } = "";

    /// <summary>
    /// Score even when transcripts hold characters (or classes) the route's labels lack: the route can never output
    /// them, so each counts as an error. Default: false (refused with <see cref="VocabularyMismatchException"/>).
    /// </summary>
    public bool AllowUnknownLabels { get; init; }

    /// <summary>Also return what the route made of each utterance (<see cref="RouteScore.Predictions"/>). Default: false.</summary>
    public bool KeepPredictions { get; init; }
}
