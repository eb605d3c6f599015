namespace S3Router.Core.Ctc;

/// <summary>One emitted CTC label and the frames it covers (inclusive). Frame t starts at t * hop samples.</summary>
public readonly record struct CtcToken(int Label, int StartFrame, int EndFrame);
