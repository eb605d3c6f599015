using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace S3Router.InferenceService.Onnx;

/// <summary>Session creation and output unpadding shared by the frontend and encoder sessions.</summary>
internal static class OnnxSessions
{
    private static long _liveSessions;

    /// <summary>ONNX Runtime sessions created by <see cref="Load"/> and not yet disposed, in this process (diagnostics).</summary>
    public static long LiveSessions => Interlocked.Read(ref _liveSessions);

    /// <summary>Call once when a session from <see cref="Load"/> is disposed.</summary>
    public static void Release(InferenceSession session)
    {
        session.Dispose();
        Interlocked.Decrement(ref _liveSessions);
    }

    /// <summary>Loads <paramref name="model"/> with the engine options; every backbone, frontend and encoder session is made here. Dispose it with <see cref="Release"/>.</summary>
    public static InferenceSession Load(byte[] model, OnnxEngineOptions? options)
    {
        options ??= new OnnxEngineOptions();
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
        };
#if S3ROUTER_GPU
        sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
#endif
        var session = new InferenceSession(model, sessionOptions);
        Interlocked.Increment(ref _liveSessions);
        return session;
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
