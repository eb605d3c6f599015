namespace S3Router.InferenceService.Inference.Heads;

/// <summary>One emitted CTC label and the frames it covers (inclusive). Frame t starts at t * hop samples.</summary>
internal readonly record struct CtcToken(int Label, int StartFrame, int EndFrame);
