namespace S3Router.InferenceService.Inference;

/// <summary>The results of every route of a request (primary first, then the additional ones in order) and the audio length.</summary>
internal sealed record RecognitionOutcome(IReadOnlyList<RouteOutcome> Routes, TimeSpan AudioDuration, bool IsFinal = true);
