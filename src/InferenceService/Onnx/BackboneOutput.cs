namespace S3Router.InferenceService.Onnx;

/// <summary>
/// One utterance's backbone output: the last hidden state [frames, hidden] (padding removed) and, when the route drops
/// tokens, the original frontend frame of each row (ascending); null when no frame was dropped by design (frame i is
/// frame i). <paramref name="States"/>: the all-states features [frames, <see cref="S3Router.Core.Backbones.Wav2Vec2Config.AllStatesWidth"/>] when the
/// session outputs hidden states (statistics-pooling routes), else null.
/// </summary>
public sealed record BackboneOutput(float[,] Hidden, int[]? FrameIndex, float[,]? States = null);
