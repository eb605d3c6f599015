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
}
