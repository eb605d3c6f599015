using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using S3Router.Core.Errors;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace S3Router.InferenceService.Onnx;

/// <summary>Session creation, audio batching and output unpadding shared by the backbone, frontend and encoder sessions.</summary>
internal static class OnnxSessions
{
    private static readonly string[] AudioInputNames = [Wav2Vec2OnnxBuilder.WaveformsInput, Wav2Vec2OnnxBuilder.LengthsInput];

    private static long _liveSessions;

    /// <summary>ONNX Runtime sessions created by <see cref="Load"/> and not yet disposed, in this process (diagnostics).</summary>
    public static long LiveSessions => Interlocked.Read(ref _liveSessions);

    /// <summary>Call once when a session from <see cref="Load"/> is disposed.</summary>
    public static void Release(InferenceSession session)
    {
        session.Dispose();
        Interlocked.Decrement(ref _liveSessions);
    }

    /// <summary>
    /// Loads <paramref name="model"/> with the engine options; every backbone, frontend and encoder session is made here.
    /// <paramref name="configure"/> adds to the session options (shared initializers); <paramref name="prePacked"/> is
    /// where the pre-packed forms of shared initializers are kept. The model bytes are not used after this returns.
    /// Dispose the session with <see cref="Release"/>.
    /// </summary>
    public static InferenceSession Load(
        byte[] model, OnnxEngineOptions? options, Action<SessionOptions>? configure = null, PrePackedWeightsContainer? prePacked = null)
    {
        using var sessionOptions = CreateSessionOptions(options ?? new OnnxEngineOptions());
        configure?.Invoke(sessionOptions);
        var session = prePacked is null ? new InferenceSession(model, sessionOptions) : new InferenceSession(model, sessionOptions, prePacked);
        Interlocked.Increment(ref _liveSessions);
        return session;
    }

    /// <summary>The session options <see cref="Load"/> starts from for <paramref name="options"/>; the caller disposes them.</summary>
    internal static SessionOptions CreateSessionOptions(OnnxEngineOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            EnableCpuMemArena = options.CpuMemoryArena,
            EnableMemoryPattern = options.MemoryPattern,
        };
        switch (options.Spinning)
        {
            case OnnxSpinning.WhileRunning:
                sessionOptions.AddSessionConfigEntry("session.force_spinning_stop", "1");
                break;
            case OnnxSpinning.Never:
                sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
                break;
        }

#if S3ROUTER_GPU
        sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
#endif
        return sessionOptions;
    }

    /// <summary>
    /// Options of a run over <paramref name="samples"/> of padded audio (batch × longest, 16 kHz): above
    /// <paramref name="shrinkAboveSeconds"/> (<see cref="OnnxEngineOptions.ArenaShrinkAboveSeconds"/>) the session's CPU
    /// arena gives back, after the run, the memory it grew for it.
    /// </summary>
    internal static RunOptions RunOptionsFor(long samples, double shrinkAboveSeconds)
    {
        var runOptions = new RunOptions();
        if (samples > shrinkAboveSeconds * Core.Audio.AudioDecoder.TargetSampleRateHertz)
        {
            runOptions.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
        }

        return runOptions;
    }

    /// <summary>
    /// Pads a batch of utterances (16 kHz float samples, any lengths, each at least <paramref name="minimumSamples"/>)
    /// into waveforms [B, S] and lengths [B], runs <paramref name="session"/> on them and hands the outputs to
    /// <paramref name="read"/> while the inputs are still alive.
    /// </summary>
    public static T RunAudio<T>(
        InferenceSession session,
        float[][] batchOfAudio,
        long minimumSamples,
        double shrinkAboveSeconds,
        string[] outputNames,
        Func<IDisposableReadOnlyCollection<OrtValue>, T> read)
    {
        ArgumentNullException.ThrowIfNull(batchOfAudio);
        if (batchOfAudio.Length == 0)
        {
            throw new InvalidInputException("The batch holds no audio.", "audio");
        }

        var batch = batchOfAudio.Length;
        var maxSamples = 0;
        var lengths = new long[batch];
        for (var b = 0; b < batch; b++)
        {
            var samples = batchOfAudio[b]?.Length ?? 0;
            if (samples < minimumSamples)
            {
                throw new InvalidInputException(
                    $"Utterance {b} has {samples} samples; at least {minimumSamples} are needed for one frame.", "audio");
            }

            lengths[b] = samples;
            maxSamples = Math.Max(maxSamples, samples);
        }

        var waveforms = new float[(long)batch * maxSamples];
        for (var b = 0; b < batch; b++)
        {
            batchOfAudio[b].CopyTo(waveforms.AsSpan(b * maxSamples));
        }

        using var waveformsValue = OrtValue.CreateTensorValueFromMemory(waveforms, [batch, maxSamples]);
        using var lengthsValue = OrtValue.CreateTensorValueFromMemory(lengths, [batch]);
        using var runOptions = RunOptionsFor((long)batch * maxSamples, shrinkAboveSeconds);
        using var outputs = session.Run(runOptions, AudioInputNames, [waveformsValue, lengthsValue], outputNames);
        return read(outputs);
    }

    /// <summary>Splits hidden [B, T, H] into each row's first <c>lengths[b]</c> frames, [frames, H] each.</summary>
    public static float[][,] Unpad(OrtValue hiddenValue, ReadOnlySpan<long> lengths, int hiddenSize)
    {
        var frames = (int)hiddenValue.GetTensorTypeAndShape().Shape[1];
        var hidden = hiddenValue.GetTensorDataAsSpan<float>();
        var results = new float[lengths.Length][,];
        for (var b = 0; b < lengths.Length; b++)
        {
            var valid = (int)lengths[b];
            var result = new float[valid, hiddenSize];
            if (valid > 0)
            {
                hidden.Slice(b * frames * hiddenSize, valid * hiddenSize)
                    .CopyTo(MemoryMarshal.CreateSpan(ref result[0, 0], valid * hiddenSize));
            }

            results[b] = result;
        }

        return results;
    }
}
