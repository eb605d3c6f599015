using S3Router.InferenceService.Inference.Batching;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// The backbone's shared frontend (conv feature extractor, feature projection, positional conv): one session and one
/// micro-batcher for all routes, so requests of different routes batch together here and a request with several
/// routes runs it once.
/// </summary>
internal sealed class FrontendEngine(OnnxFrontendSession session, MicroBatcher<FrontendEngine.Request, FrontendOutput> batcher) : IDisposable
{
    /// <summary>
    /// Runs one utterance (16 kHz samples) in a batch; returns the encoder's input frames [frames, hidden] and, with
    /// <paramref name="convFeatures"/>, the conv features [frames, conv_dim[-1]] (statistics-pooling routes).
    /// </summary>
    public Task<FrontendOutput> RunAsync(float[] samples, bool convFeatures, CancellationToken cancellationToken) =>
        batcher.RunAsync(new Request(samples, convFeatures), cancellationToken);

    /// <summary>The batch function: conv features are fetched for the whole batch when any request asks for them.</summary>
    public static FrontendOutput[] RunBatch(OnnxFrontendSession session, IReadOnlyList<Request> batch) =>
        session.Run([.. batch.Select(r => r.Samples)], batch.Any(r => r.ConvFeatures));

    /// <summary>One utterance and whether its conv features are wanted.</summary>
    internal sealed record Request(float[] Samples, bool ConvFeatures);

    /// <inheritdoc />
    public void Dispose()
    {
        batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        session.Dispose();
    }
}
