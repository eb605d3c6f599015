namespace S3Router.TrainingService.Training.Scoring;

/// <summary>The figures of one route on one split.</summary>
/// <param name="Task">The route's task (<c>asr</c>, ...), from its bundle or head file; empty when not recorded.</param>
/// <param name="Language">The route's language; empty when not recorded.</param>
/// <param name="IsCtc">CTC (CER/WER) or classifier (accuracy, macro-F1).</param>
/// <param name="Utterances">Utterances scored.</param>
/// <param name="UnknownLabels">Occurrences of transcript characters (or classes) outside the route's labels; 0 unless allowed.</param>
/// <param name="Metrics">
/// <c>&lt;prefix&gt;_loss</c> and <c>_cer</c>, <c>_wer</c>, <c>_cer_beam</c>, <c>_wer_beam</c> (fractions) for CTC routes, or
/// <c>_accuracy</c>, <c>_macro_f1</c>; the same names and values a job's test metrics have on the same split.
/// </param>
public sealed record RouteScore(string Task, string Language, bool IsCtc, int Utterances, int UnknownLabels, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>One result per utterance in manifest order when <see cref="RouteScoreRequest.KeepPredictions"/> was set; otherwise empty.</summary>
    public IReadOnlyList<UtterancePrediction> Predictions { get; init; } = [];
}
