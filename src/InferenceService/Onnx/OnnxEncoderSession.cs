using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using S3Router.Core.Backbones;
using S3Router.Core.Errors;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// The route-specific part of the backbone (<see cref="Wav2Vec2OnnxBuilder.BuildEncoder"/>): frontend frames in, the
/// last hidden state out. One per route mask; thread-safe for concurrent <see cref="Run"/> calls.
/// </summary>
public sealed class OnnxEncoderSession : IDisposable
{
    private static readonly string[] InputNames = [Wav2Vec2OnnxBuilder.FrontendHiddenOutput, Wav2Vec2OnnxBuilder.FrameLengthsInput];
    private static readonly string[] OutputNames = [Wav2Vec2OnnxBuilder.HiddenStateOutput, Wav2Vec2OnnxBuilder.OutputLengthsOutput];
    private static readonly string[] StatesOutputNames = [Wav2Vec2OnnxBuilder.EncoderStatesOutput];

    private readonly InferenceSession _session;
    private int _disposed;
    private readonly double _shrinkAboveSeconds;
    private readonly long _hopSamples;

    private OnnxEncoderSession(byte[] model, Wav2Vec2Config config, OnnxEngineOptions? options)
        : this(OnnxSessions.Load(model, options), config, options)
    {
    }

    private OnnxEncoderSession(InferenceSession session, Wav2Vec2Config config, OnnxEngineOptions? options)
    {
        _shrinkAboveSeconds = (options ?? new OnnxEngineOptions()).ArenaShrinkAboveSeconds;
        _hopSamples = config.FrameHopSamples;
        HiddenSize = config.HiddenSize;
        _session = session;
        StatesWidth = config.NumHiddenLayers * config.HiddenSize;
        HasHiddenStates = _session.OutputMetadata.ContainsKey(Wav2Vec2OnnxBuilder.EncoderStatesOutput);
    }

    /// <summary>Width of each frame.</summary>
    public int HiddenSize { get; }

    /// <summary>Whether the graph has the <see cref="Wav2Vec2OnnxBuilder.EncoderStatesOutput"/> output (built with hidden states).</summary>
    public bool HasHiddenStates { get; }

    /// <summary>Width of each <see cref="RunHiddenStates"/> frame: layers · hidden.</summary>
    public int StatesWidth { get; }

    /// <summary>Builds the encoder graph from config, weights and an optional route mask, and loads it.</summary>
    public static OnnxEncoderSession Create(
        Wav2Vec2Config config,
        IReadOnlyDictionary<string, WeightTensor> weights,
        IReadOnlyDictionary<string, bool[]>? mask = null,
        OnnxEngineOptions? options = null) => Create(config, weights, mask, hiddenStates: false, options);

    /// <summary>
    /// <see cref="Create(Wav2Vec2Config, IReadOnlyDictionary{string, WeightTensor}, IReadOnlyDictionary{string, bool[]}?, OnnxEngineOptions?)"/>;
    /// with <paramref name="hiddenStates"/> the graph also outputs every layer's state (<see cref="RunHiddenStates"/>).
    /// </summary>
    public static OnnxEncoderSession Create(
        Wav2Vec2Config config,
        IReadOnlyDictionary<string, WeightTensor> weights,
        IReadOnlyDictionary<string, bool[]>? mask,
        bool hiddenStates,
        OnnxEngineOptions? options = null) =>
        new(Google.Protobuf.MessageExtensions.ToByteArray(Wav2Vec2OnnxBuilder.BuildEncoder(config, weights, mask, hiddenStates)), config, options);

    /// <summary>Loads an encoder graph with extra session options (shared initializers, see <see cref="EncoderSessionFactory"/>).</summary>
    internal static OnnxEncoderSession Load(
        byte[] model, Wav2Vec2Config config, OnnxEngineOptions? options, Action<SessionOptions> configure, PrePackedWeightsContainer prePacked) =>
        new(OnnxSessions.Load(model, options, configure, prePacked), config, options);

    /// <summary>
    /// Runs one batch of frontend outputs (each [frames, hidden], frames ≥ 1) and returns each one's last hidden state
    /// [frames, hidden].
    /// </summary>
    public float[][,] Run(float[][,] batchOfFrames) => RunPadded(batchOfFrames, OutputNames, HiddenSize);

    /// <summary>
    /// Runs one batch of frontend outputs (each [frames, hidden], frames ≥ 1) and returns each one's hidden states 1..L
    /// side by side, [frames, layers · hidden] (the last block is the last hidden state). Needs a graph built with
    /// hidden states.
    /// </summary>
    public float[][,] RunHiddenStates(float[][,] batchOfFrames)
    {
        if (!HasHiddenStates)
        {
            throw new InvalidOperationException("This encoder graph was built without hidden states.");
        }

        return RunPadded(batchOfFrames, StatesOutputNames, StatesWidth);
    }

    private float[][,] RunPadded(float[][,] batchOfFrames, string[] outputNames, int outputWidth)
    {
        ArgumentNullException.ThrowIfNull(batchOfFrames);
        if (batchOfFrames.Length == 0)
        {
            throw new InvalidInputException("The batch holds no frames.", "audio");
        }

        var batch = batchOfFrames.Length;
        var maxFrames = 0;
        var lengths = new long[batch];
        for (var b = 0; b < batch; b++)
        {
            var frames = batchOfFrames[b];
            if (frames is null || frames.GetLength(0) == 0 || frames.GetLength(1) != HiddenSize)
            {
                throw new InvalidInputException(
                    $"Utterance {b} has frames [{frames?.GetLength(0)}, {frames?.GetLength(1)}]; expected [frames ≥ 1, {HiddenSize}].", "audio");
            }

            lengths[b] = frames.GetLength(0);
            maxFrames = Math.Max(maxFrames, frames.GetLength(0));
        }

        var input = new float[(long)batch * maxFrames * HiddenSize];
        for (var b = 0; b < batch; b++)
        {
            var frames = batchOfFrames[b];
            MemoryMarshal.CreateReadOnlySpan(ref frames[0, 0], frames.Length).CopyTo(input.AsSpan(b * maxFrames * HiddenSize));
        }

        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [batch, maxFrames, HiddenSize]);
        using var lengthsValue = OrtValue.CreateTensorValueFromMemory(lengths, [batch]);
        using var runOptions = OnnxSessions.RunOptionsFor((long)batch * maxFrames * _hopSamples, _shrinkAboveSeconds);
        using var outputs = _session.Run(runOptions, InputNames, [inputValue, lengthsValue], outputNames);
        return OnnxSessions.Unpad(outputs[0], lengths, outputWidth);
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
