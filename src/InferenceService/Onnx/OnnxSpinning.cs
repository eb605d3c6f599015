namespace S3Router.InferenceService.Onnx;

/// <summary>When a session's intra-op threads busy-wait for work instead of sleeping (see <see cref="OnnxEngineOptions.Spinning"/>).</summary>
public enum OnnxSpinning
{
    /// <summary>
    /// Spin while any run of the session is in progress and stop as soon as the last one returns (ONNX Runtime
    /// <c>session.force_spinning_stop=1</c>): fast hand-offs between the operators of a run, no idle spinning after it.
    /// </summary>
    WhileRunning,

    /// <summary>ONNX Runtime's default: threads keep spinning for a while after a run ends, waiting for the next one.</summary>
    Always,

    /// <summary>Never spin (<c>session.intra_op.allow_spinning=0</c>): every hand-off wakes a sleeping thread.</summary>
    Never,
}
