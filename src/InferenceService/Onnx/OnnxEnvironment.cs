using Microsoft.ML.OnnxRuntime;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// ONNX Runtime's process environment (<see cref="OrtEnv"/>, made once per process, by the first session if nobody
/// made it before) and its optional global intra-op thread pool, which sessions built with
/// <see cref="OnnxEngineOptions.GlobalThreadPool"/> share instead of starting (and on dispose joining) threads of their
/// own. The pool's settings are fixed when the environment is made: the first caller wins.
/// </summary>
internal static class OnnxEnvironment
{
    private static readonly Lock Gate = new();
    private static (int Threads, bool Spinning)? _pool;

    /// <summary>The global pool's threads (the caller of a run counts as one) and spin setting; null when the environment has none.</summary>
    public static (int Threads, bool Spinning)? GlobalThreadPool
    {
        get
        {
            lock (Gate)
            {
                return _pool;
            }
        }
    }

    /// <summary>
    /// Makes the environment with a global intra-op pool of <paramref name="threads"/> (1: runs stay on the caller's
    /// thread) unless the environment exists. True when it has exactly this pool, now or from an earlier call with
    /// the same settings; false when it was made before without a pool or with another one (another host in this
    /// process, or a session made first): sessions must then keep their own threads.
    /// </summary>
    public static bool TryUseGlobalThreadPool(int threads, bool spinning)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        lock (Gate)
        {
            if (_pool is null && !OrtEnv.IsCreated)
            {
                // The environment copies the settings into its pools: the options can go afterwards.
                using var threading = new OrtThreadingOptions
                {
                    GlobalIntraOpNumThreads = threads,
                    GlobalInterOpNumThreads = 1, // sessions run sequentially: no inter-op pool
                    GlobalSpinControl = spinning,
                };
                var options = new EnvironmentCreationOptions { threadOptions = threading };
                try
                {
                    OrtEnv.CreateInstanceWithOptions(ref options);
                    _pool = (threads, spinning);
                }
                catch (OnnxRuntimeException)
                {
                    // A session on another thread made the environment first: no pool.
                }
            }

            return _pool == (threads, spinning);
        }
    }
}
