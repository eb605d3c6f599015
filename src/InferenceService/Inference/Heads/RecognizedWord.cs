namespace S3Router.InferenceService.Inference.Heads;

/// <summary>A word of a transcript with its time span relative to the start of the audio.</summary>
internal sealed record RecognizedWord(string Word, TimeSpan Start, TimeSpan End);
