namespace S3Router.InferenceService.Inference.Heads;

/// <summary>A class name with its posterior probability in [0, 1].</summary>
internal sealed record ClassProbability(string ClassName, float Score);
