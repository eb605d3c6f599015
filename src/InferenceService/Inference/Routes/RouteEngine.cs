using S3Router.InferenceService.Inference.Batching;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// A hot route: the ONNX session of one mask (backbone weights times the mask as initializers) and its micro-batcher.
/// Every route version with the same masks shares it. Usually only the encoder (the transformer layers) is per mask and
/// its input comes from the backbone's shared <see cref="FrontendEngine"/>; a mask that touches the frontend runs the
/// whole graph from audio. Disposed by the hot cache when evicted (never while leased).
/// </summary>
internal sealed class RouteEngine : IDisposable
{
    private readonly IDisposable _session;
    private readonly MicroBatcher<float[], BackboneOutput>? _whole;
    private readonly MicroBatcher<float[,], float[,]>? _encoder;

    private RouteEngine(
        IDisposable session, MicroBatcher<float[], BackboneOutput>? whole, MicroBatcher<float[,], float[,]>? encoder, string maskKey, bool hiddenStates)
    {
        _session = session;
        _whole = whole;
        _encoder = encoder;
        MaskKey = maskKey;
        HiddenStates = hiddenStates;
    }

    public string MaskKey { get; }

    /// <summary>
    /// True for the graph of statistics-pooling routes: the whole graph fills <see cref="BackboneOutput.States"/>, and
    /// the encoder returns hidden states 1..L [frames, L·hidden] (it needs the frontend's conv features to complete them).
    /// </summary>
    public bool HiddenStates { get; }

    /// <summary>True when the engine runs on frontend frames (<see cref="RunEncoderAsync"/>), false when on audio (<see cref="RunAsync"/>).</summary>
    public bool UsesFrontend => _encoder is not null;

    /// <summary>An engine over the whole graph: audio in.</summary>
    public static RouteEngine Whole(IDisposable session, MicroBatcher<float[], BackboneOutput> batcher, string maskKey, bool hiddenStates = false) =>
        new(session, batcher, null, maskKey, hiddenStates);

    /// <summary>An engine over the encoder graph: frontend frames in.</summary>
    public static RouteEngine Encoder(IDisposable session, MicroBatcher<float[,], float[,]> batcher, string maskKey, bool hiddenStates = false) =>
        new(session, null, batcher, maskKey, hiddenStates);

    /// <summary>
    /// Runs one utterance (16 kHz samples) through the whole backbone in a batch; returns hidden states [frames, hidden]
    /// and, for a token-dropping route, each row's original frame; with <see cref="HiddenStates"/> also the all-states
    /// features [frames, W].
    /// </summary>
    public Task<BackboneOutput> RunAsync(float[] samples, CancellationToken cancellationToken) =>
        (_whole ?? throw new InvalidOperationException("This engine runs on frontend frames.")).RunAsync(samples, cancellationToken);

    /// <summary>
    /// Runs one utterance's frontend frames [frames, hidden] through the encoder in a batch; returns the last hidden state
    /// [frames, hidden], or with <see cref="HiddenStates"/> hidden states 1..L [frames, L·hidden].
    /// </summary>
    public Task<float[,]> RunEncoderAsync(float[,] frames, CancellationToken cancellationToken) =>
        (_encoder ?? throw new InvalidOperationException("This engine runs on audio.")).RunAsync(frames, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        _whole?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _encoder?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _session.Dispose();
    }
}
