using Microsoft.ML.OnnxRuntime;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// One CPU arena allocator registered on ONNX Runtime's environment, used by every session built with
/// <c>session.use_env_allocators=1</c>: one arena for the process instead of one per session.
/// </summary>
internal static class OnnxSharedArena
{
    private static readonly Lazy<bool> Registered = new(Register, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Registers the arena the first time; later calls do nothing.</summary>
    public static void EnsureRegistered() => _ = Registered.Value;

    private static bool Register()
    {
        // The environment keeps the allocator for the process's lifetime; the info and config are copied into it.
        using var memoryInfo = new OrtMemoryInfo("Cpu", OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
        // No cap (0), extend by what is requested (1: kSameAsRequested), ONNX Runtime's defaults for the rest (-1).
        using var arena = new OrtArenaCfg(0, 1, -1, -1);
        OrtEnv.Instance().CreateAndRegisterAllocator(memoryInfo, arena);
        return true;
    }
}
