namespace S3Router.InferenceService.Onnx;

/// <summary>
/// One utterance's frontend output, padding removed: the encoder's input frames [frames, hidden] (hidden state 0) and,
/// when asked for, the conv features [frames, conv_dim[-1]] (else null).
/// </summary>
public sealed record FrontendOutput(float[,] Hidden, float[,]? ConvFeatures);
