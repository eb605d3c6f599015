using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace S3Router.TrainingService.Model;

/// <summary>
/// Caps libtorch's oneDNN at its AVX2 kernels on CPUs with AVX-512, unless the user chose a level
/// (<see cref="Variable"/> set and not empty). libtorch 2.10 bundles oneDNN 3.7.1, whose AVX-512 convolution kernels give
/// nondeterministic wrong results on the project's AMD EPYC machine when a channel count is not a multiple of 16: NaN
/// gradients in about 12 % of conv1d backward passes with 32 → 8 channels (even for one input repeated), outputs that
/// depend on the batch for 24 → 40 channels at stride 2. The AVX2 kernels give none of these
/// (bench/README.md, "libtorch's oneDNN on AVX-512").
/// </summary>
public static class LibTorchCpuIsa
{
    /// <summary>oneDNN's variable for its highest instruction set; a user's value (e.g. <c>ALL</c>) is kept.</summary>
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>The level this class sets when the CPU has AVX-512 and the user set none.</summary>
    public const string Cap = "AVX2";

    // oneDNN's older name for the same variable, read when the new one is absent.
    private const string LegacyVariable = "DNNL_MAX_CPU_ISA";

    /// <summary>The level oneDNN runs at: the user's, <see cref="Cap"/>, or null (no AVX-512, or not Linux: oneDNN's own choice).</summary>
    public static string? Effective { get; private set; }

    /// <summary>
    /// oneDNN reads the variable once, from the native environment, when it creates its first primitive; every model,
    /// head and job of the platform lives in this assembly, so its load is early enough. .NET keeps its own copy of the
    /// environment on Unix, hence setenv(3).
    /// </summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "The cap must precede libtorch's first oneDNN primitive in every host (services, CLI, tests, benchmarks) that loads this assembly.")]
    internal static void CapBeforeTheFirstPrimitive()
    {
        Effective = new[] { Variable, LegacyVariable }.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        if (Effective is null && Avx512F.IsSupported && OperatingSystem.IsLinux() && SetEnv(Variable, Cap, overwrite: 1) == 0)
        {
            Effective = Cap;
        }
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int SetEnv(string name, string value, int overwrite);
}
