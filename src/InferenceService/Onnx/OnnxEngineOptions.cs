using System.ComponentModel.DataAnnotations;

namespace S3Router.InferenceService.Onnx;

/// <summary>How ONNX Runtime sessions of the backbone are created.</summary>
public sealed class OnnxEngineOptions
{
    /// <summary>Configuration section (env: <c>Inference__Onnx__IntraOpThreads</c>).</summary>
    public const string SectionName = "Inference:Onnx";

    /// <summary>Threads one forward pass may use (ONNX Runtime intra-op pool). Default: 2. Range: 1-256.</summary>
    [Range(1, 256)]
    public int IntraOpThreads { get; set; } = 2;

    /// <summary>
    /// When the session's intra-op threads spin. With one session per hot route, threads left spinning by the session
    /// that just ran take the cores from the session that runs next (bench/README.md, "Mixed routes").
    /// Default: <see cref="OnnxSpinning.WhileRunning"/>.
    /// </summary>
    public OnnxSpinning Spinning { get; set; } = OnnxSpinning.WhileRunning;

    /// <summary>
    /// Whether the session allocates from ONNX Runtime's CPU memory arena (<c>SessionOptions.EnableCpuMemArena</c>): the
    /// arena keeps freed chunks for the next run and grows in large extensions; without it every tensor is a plain
    /// allocation returned on release. Default: true.
    /// </summary>
    public bool CpuMemoryArena { get; set; } = true;

    /// <summary>
    /// Whether the session plans its activations' memory once per input shape and reuses the plan
    /// (<c>SessionOptions.EnableMemoryPattern</c>). Default: true.
    /// </summary>
    public bool MemoryPattern { get; set; } = true;

    /// <summary>
    /// After a run over more audio than this (batch × longest utterance, seconds at 16 kHz), the session's CPU arena gives
    /// back what the run grew (ONNX Runtime's <c>memory.enable_memory_arena_shrinkage</c>). Without it every arena keeps
    /// the memory of the longest request it has seen, and one 60 s request grew a tiny-ssl pod by 0.5–0.7 GiB each time
    /// (bench/README.md, "Long requests and the arenas"). 0: after every run. Default: 10.
    /// </summary>
    public double ArenaShrinkAboveSeconds { get; set; } = 10;

    /// <summary>A copy of these options with <see cref="CpuMemoryArena"/> set to <paramref name="value"/>.</summary>
    internal OnnxEngineOptions WithCpuMemoryArena(bool value)
    {
        var copy = (OnnxEngineOptions)MemberwiseClone();
        copy.CpuMemoryArena = value;
        return copy;
    }

    /// <summary>
    /// A copy of these options for a session built once and kept for the process's life (the frontend, the unmasked
    /// encoder): ONNX Runtime's CPU arena and memory pattern on, whatever route sessions use.
    /// </summary>
    internal OnnxEngineOptions ForPinnedSession()
    {
        var copy = WithCpuMemoryArena(true);
        copy.MemoryPattern = true;
        return copy;
    }

    /// <summary>CUDA device ordinal; used only by GPU builds (<c>-p:S3RouterGpu=true</c>). Default: 0.</summary>
    [Range(0, 64)]
    public int CudaDeviceId { get; set; }
}
