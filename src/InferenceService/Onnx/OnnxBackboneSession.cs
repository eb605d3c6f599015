using Microsoft.ML.OnnxRuntime;
using S3Router.Core.Backbones;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// One ONNX Runtime session of the backbone for one model version (backbone + route mask). Thread-safe for
/// concurrent <see cref="Run"/> calls; dispose it when the version is evicted.
/// </summary>
public sealed class OnnxBackboneSession : IDisposable
{
    private static readonly string[] OutputNames = [Wav2Vec2OnnxBuilder.HiddenStateOutput, Wav2Vec2OnnxBuilder.OutputLengthsOutput];
    private static readonly string[] OutputNamesWithFrames = [.. OutputNames, Wav2Vec2OnnxBuilder.FrameIndexOutput];
    private static readonly string[] OutputNamesWithStates =
        [.. OutputNames, Wav2Vec2OnnxBuilder.ConvFeaturesOutput, Wav2Vec2OnnxBuilder.FrontendHiddenOutput, Wav2Vec2OnnxBuilder.EncoderStatesOutput];

    private readonly InferenceSession _session;
    private int _disposed;
    private readonly long _minimumSamples;
    private readonly double _shrinkAboveSeconds;
    private readonly int _convWidth;
    private readonly int _statesWidth;

    /// <summary>Loads a model built by <see cref="Wav2Vec2OnnxBuilder"/> for <paramref name="config"/>.</summary>
    public OnnxBackboneSession(byte[] model, Wav2Vec2Config config, OnnxEngineOptions? options = null)
    {
        HiddenSize = config.HiddenSize;
        _convWidth = config.ConvDim[^1];
        _statesWidth = config.NumHiddenLayers * config.HiddenSize;
        _minimumSamples = Wav2Vec2OnnxBuilder.MinimumSamples(config);
        _shrinkAboveSeconds = (options ?? new OnnxEngineOptions()).ArenaShrinkAboveSeconds;
        _session = OnnxSessions.Load(model, options);
        DropsTokens = _session.OutputMetadata.ContainsKey(Wav2Vec2OnnxBuilder.FrameIndexOutput);
        HasHiddenStates = _session.OutputMetadata.ContainsKey(Wav2Vec2OnnxBuilder.EncoderStatesOutput);
    }

    /// <summary>
    /// Whether the graph outputs every hidden state (<see cref="OnnxBuildOptions.HiddenStates"/>); then
    /// <see cref="RunFrames"/> fills <see cref="BackboneOutput.States"/>.
    /// </summary>
    public bool HasHiddenStates { get; }

    /// <summary>Whether the graph drops frames (it has the <see cref="Wav2Vec2OnnxBuilder.FrameIndexOutput"/> output).</summary>
    public bool DropsTokens { get; }

    /// <summary>Width of each output frame.</summary>
    public int HiddenSize { get; }

    /// <summary>Builds the graph from config and weights (optionally masked: <c>W * M</c>) and loads it.</summary>
    public static OnnxBackboneSession Create(
        Wav2Vec2Config config,
        IReadOnlyDictionary<string, WeightTensor> weights,
        IReadOnlyDictionary<string, bool[]>? mask = null,
        OnnxEngineOptions? options = null) =>
        new(Wav2Vec2OnnxBuilder.BuildBytes(config, weights, mask), config, options);

    /// <summary>Builds the graph with <paramref name="build"/> (shrinking, token dropping, hidden states) and loads it.</summary>
    public static OnnxBackboneSession Create(
        Wav2Vec2Config config,
        IReadOnlyDictionary<string, WeightTensor> weights,
        IReadOnlyDictionary<string, bool[]>? mask,
        OnnxBuildOptions build,
        OnnxEngineOptions? options = null) =>
        new(Wav2Vec2OnnxBuilder.BuildBytes(config, weights, mask, build), config, options);

    /// <summary>
    /// Runs one batch of utterances (16 kHz float samples, any lengths) and returns each utterance's last hidden state
    /// [frames, hidden], padding removed.
    /// </summary>
    public float[][,] Run(float[][] batchOfAudio) => RunFrames(batchOfAudio).Select(o => o.Hidden).ToArray();

    /// <summary>
    /// <see cref="Run"/> with each utterance's frame index: the original frontend frame of every output row when the
    /// graph drops tokens, else null; and the all-states features when the graph has them (<see cref="HasHiddenStates"/>).
    /// </summary>
    public BackboneOutput[] RunFrames(float[][] batchOfAudio) =>
        OnnxSessions.RunAudio(
            _session, batchOfAudio, _minimumSamples, _shrinkAboveSeconds,
            DropsTokens ? OutputNamesWithFrames : HasHiddenStates ? OutputNamesWithStates : OutputNames,
            ReadFrames);

    private BackboneOutput[] ReadFrames(IDisposableReadOnlyCollection<OrtValue> outputs)
    {
        var frames = (int)outputs[0].GetTensorTypeAndShape().Shape[1]; // hidden: [B, T, H]
        var outputLengths = outputs[1].GetTensorDataAsSpan<long>();
        var hidden = OnnxSessions.Unpad(outputs[0], outputLengths, HiddenSize);
        var frameIndex = DropsTokens ? outputs[2].GetTensorDataAsSpan<long>() : default;
        float[][,]? conv = null, state0 = null, states = null;
        if (HasHiddenStates)
        {
            conv = OnnxSessions.Unpad(outputs[2], outputLengths, _convWidth);
            state0 = OnnxSessions.Unpad(outputs[3], outputLengths, HiddenSize);
            states = OnnxSessions.Unpad(outputs[4], outputLengths, _statesWidth);
        }

        var results = new BackboneOutput[hidden.Length];
        for (var b = 0; b < hidden.Length; b++)
        {
            int[]? index = null;
            if (DropsTokens)
            {
                var valid = (int)outputLengths[b];
                index = new int[valid];
                for (var t = 0; t < valid; t++)
                {
                    index[t] = (int)frameIndex[(b * frames) + t];
                }
            }

            results[b] = new BackboneOutput(hidden[b], index, states is null ? null : AllStates.Concat(conv![b], state0![b], states[b]));
        }

        return results;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            OnnxSessions.Release(_session);
        }
    }
}
