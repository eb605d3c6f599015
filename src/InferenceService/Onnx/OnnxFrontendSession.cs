using Microsoft.ML.OnnxRuntime;
using S3Router.Core.Backbones;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// The shared frontend of one backbone (<see cref="Wav2Vec2OnnxBuilder.BuildFrontend"/>): audio in, the encoder's input
/// frames out. Thread-safe for concurrent <see cref="Run(float[][])"/> calls.
/// </summary>
public sealed class OnnxFrontendSession : IDisposable
{
    private static readonly string[] OutputNames = [Wav2Vec2OnnxBuilder.FrontendHiddenOutput, Wav2Vec2OnnxBuilder.OutputLengthsOutput];
    private static readonly string[] OutputNamesWithConv = [.. OutputNames, Wav2Vec2OnnxBuilder.ConvFeaturesOutput];

    private readonly InferenceSession _session;
    private int _disposed;
    private readonly long _minimumSamples;
    private readonly double _shrinkAboveSeconds;

    private OnnxFrontendSession(byte[] model, Wav2Vec2Config config, OnnxEngineOptions? options)
    {
        _shrinkAboveSeconds = (options ?? new OnnxEngineOptions()).ArenaShrinkAboveSeconds;
        HiddenSize = config.HiddenSize;
        ConvWidth = config.ConvDim[^1];
        _minimumSamples = Wav2Vec2OnnxBuilder.MinimumSamples(config);
        _session = OnnxSessions.Load(model, options);
    }

    /// <summary>Width of each output frame.</summary>
    public int HiddenSize { get; }

    /// <summary>Width of each conv features frame (conv_dim[-1]).</summary>
    public int ConvWidth { get; }

    /// <summary>Builds the frontend graph from config and weights and loads it.</summary>
    public static OnnxFrontendSession Create(
        Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> weights, OnnxEngineOptions? options = null) =>
        new(Google.Protobuf.MessageExtensions.ToByteArray(Wav2Vec2OnnxBuilder.BuildFrontend(config, weights)), config, options);

    /// <summary>
    /// Runs one batch of utterances (16 kHz float samples, any lengths); returns each utterance's frontend frames
    /// [frames, hidden], padding removed.
    /// </summary>
    public float[][,] Run(float[][] batchOfAudio) =>
        OnnxSessions.RunAudio(
            _session, batchOfAudio, _minimumSamples, _shrinkAboveSeconds, OutputNames,
            outputs => OnnxSessions.Unpad(outputs[0], outputs[1].GetTensorDataAsSpan<long>(), HiddenSize));

    /// <summary>
    /// <see cref="Run(float[][])"/>, and with <paramref name="convFeatures"/> each utterance's conv features [frames, conv_dim[-1]]
    /// too (copied out only then).
    /// </summary>
    public FrontendOutput[] Run(float[][] batchOfAudio, bool convFeatures) =>
        OnnxSessions.RunAudio(
            _session, batchOfAudio, _minimumSamples, _shrinkAboveSeconds, convFeatures ? OutputNamesWithConv : OutputNames,
            outputs =>
            {
                var lengths = outputs[1].GetTensorDataAsSpan<long>();
                var hidden = OnnxSessions.Unpad(outputs[0], lengths, HiddenSize);
                var conv = convFeatures ? OnnxSessions.Unpad(outputs[2], lengths, ConvWidth) : null;
                return hidden.Select((h, b) => new FrontendOutput(h, conv?[b])).ToArray();
            });

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            OnnxSessions.Release(_session);
        }
    }
}
