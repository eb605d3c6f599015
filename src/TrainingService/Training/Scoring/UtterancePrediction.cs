namespace S3Router.TrainingService.Training.Scoring;

/// <summary>What a route made of one utterance (<c>s3r train eval --predictions</c>), for error analysis by voice, phrase or length.</summary>
/// <param name="Audio">The audio file, as the manifest resolves it (its root joined with the listed path).</param>
/// <param name="Reference">The transcript (CTC) or class (classifier) of the label file.</param>
/// <param name="Predicted">The greedy transcript (CTC) or the predicted class.</param>
/// <param name="Probability">Classifier: the softmax probability of <paramref name="Predicted"/>; CTC: NaN.</param>
/// <param name="CharacterErrorRate">CTC: this utterance's CER of <paramref name="Predicted"/>; classifier: NaN.</param>
/// <param name="BeamPredicted">CTC with the beam search: its transcript; otherwise null.</param>
/// <param name="BeamCharacterErrorRate">This utterance's CER of <paramref name="BeamPredicted"/>; NaN without one.</param>
public sealed record UtterancePrediction(
    string Audio, string Reference, string Predicted, double Probability, double CharacterErrorRate, string? BeamPredicted, double BeamCharacterErrorRate);
