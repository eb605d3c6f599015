using S3Router.InferenceService.Inference.Batching;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// The backbone's shared frontend (conv feature extractor, feature projection, positional conv): one session and one
/// micro-batcher for all routes, so requests of different routes batch together here and a request with several
/// routes runs it once.
/// </summary>
internal sealed class FrontendEngine(OnnxFrontendSession session, MicroBatcher<float[], float[,]> batcher) : IDisposable
{
    /// <summary>Runs one utterance (16 kHz samples) in a batch; returns the encoder's input frames [frames, hidden].</summary>
    public Task<float[,]> RunAsync(float[] samples, CancellationToken cancellationToken) => batcher.RunAsync(samples, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        session.Dispose();
    }
}
