namespace S3Router.Core.Masks;

/// <summary>Where a mask bundle comes from: the training job and its inputs. Stored in bundle metadata as JSON.</summary>
public sealed record MaskLineage
{
    /// <summary>Id of the training job that produced the bundle. Default: empty.</summary>
    public string JobId { get; init; } = "";

    /// <summary>sha256 (lowercase hex) of the training manifest, or empty when unknown. Default: empty.</summary>
    public string DatasetDigest { get; init; } = "";

    /// <summary>Registry version of the route this one was trained from, or null for a first version. Default: null.</summary>
    public long? ParentVersion { get; init; }

    /// <summary>Target fraction of weights KEPT per masked tensor, in (0, 1] (0.9 = 10% sparsity). Default: 0.9.</summary>
    public double PruneRate { get; init; } = 0.9;

    /// <summary>
    /// sha256 (64 lowercase hex) of the mask bundle file this one was trained from (a job's <c>start_bundle_path</c>),
    /// or empty when none. Stored as <c>parent_bundle_digest</c> only when set, so other bundles' bytes are unchanged. Default: empty.
    /// </summary>
    public string ParentBundleDigest { get; init; } = "";

    /// <summary>Score initialisation (<c>weight_rank</c>, <c>weight_magnitude_with_scale</c>, ...). Default: empty.</summary>
    public string InitScore { get; init; } = "";

    /// <summary>
    /// libtorch intra-op threads the job trained with, or 0 when not recorded. Part of the reproducibility contract:
    /// the same spec, data and seed give the same bundle only with the same thread count (libtorch's reductions split
    /// their work by thread). Stored as <c>torch_threads</c> only when set, so other bundles' bytes are unchanged. Default: 0.
    /// </summary>
    public int TorchThreads { get; init; }

    /// <summary>
    /// The highest instruction set libtorch's oneDNN ran the job's kernels at (<c>ONEDNN_MAX_CPU_ISA</c>, e.g.
    /// <c>AVX2</c>), or empty when not recorded or when oneDNN chose its own level for the CPU. Part of the
    /// reproducibility contract like <see cref="TorchThreads"/>: other kernels round differently. Upper-case letters,
    /// digits and underscores, at most <see cref="OneDnnMaxIsaMaxLength"/> characters (<see cref="IsValidOneDnnMaxIsa"/>).
    /// Stored as <c>onednn_max_isa</c> only when set, so other bundles' bytes are unchanged. Default: empty.
    /// </summary>
    public string OneDnnMaxIsa { get; init; } = "";

    /// <summary>Longest <see cref="OneDnnMaxIsa"/> a bundle may record (oneDNN's longest name is about 20).</summary>
    public const int OneDnnMaxIsaMaxLength = 32;

    /// <summary>
    /// Whether <paramref name="value"/> can name a oneDNN instruction set: 1 to <see cref="OneDnnMaxIsaMaxLength"/>
    /// characters of <c>A-Z</c>, <c>0-9</c> and <c>_</c> (oneDNN's names, e.g. <c>AVX512_CORE_VNNI</c>, <c>ALL</c>).
    /// </summary>
    public static bool IsValidOneDnnMaxIsa(string? value) =>
        value is { Length: > 0 and <= OneDnnMaxIsaMaxLength } && value.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_');
}
