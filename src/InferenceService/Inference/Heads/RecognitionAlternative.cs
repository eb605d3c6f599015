namespace S3Router.InferenceService.Inference.Heads;

/// <summary>One transcript of a CTC route with its confidence in [0, 1] and its words (always computed).</summary>
internal sealed record RecognitionAlternative(string Transcript, float Confidence, IReadOnlyList<RecognizedWord> Words);
