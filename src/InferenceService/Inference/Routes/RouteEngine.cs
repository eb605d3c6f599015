using S3Router.InferenceService.Inference.Batching;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// A hot route: the ONNX session of one mask (backbone weights times the mask as initializers) and its micro-batcher.
/// Every route version with the same masks shares it. Disposed by the hot cache when evicted (never while leased).
/// </summary>
internal sealed class RouteEngine : IDisposable
{
    private readonly OnnxBackboneSession _session;
    private readonly MicroBatcher<float[], BackboneOutput> _batcher;

    public RouteEngine(OnnxBackboneSession session, MicroBatcher<float[], BackboneOutput> batcher, string maskKey)
    {
        _session = session;
        _batcher = batcher;
        MaskKey = maskKey;
    }

    public string MaskKey { get; }

    /// <summary>
    /// Runs one utterance (16 kHz samples) through the backbone in a batch; returns hidden states [frames, hidden] and,
    /// for a token-dropping route, each row's original frame.
    /// </summary>
    public Task<BackboneOutput> RunAsync(float[] samples, CancellationToken cancellationToken) => _batcher.RunAsync(samples, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        _batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _session.Dispose();
    }
}
