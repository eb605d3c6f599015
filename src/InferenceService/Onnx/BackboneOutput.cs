namespace S3Router.InferenceService.Onnx;

/// <summary>
/// One utterance's backbone output: the last hidden state [frames, hidden] (padding removed) and, when the route drops
/// tokens, the original frontend frame of each row (ascending); null when no frame was dropped by design (frame i is
/// frame i).
/// </summary>
public sealed record BackboneOutput(float[,] Hidden, int[]? FrameIndex);
