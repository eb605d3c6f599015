using S3Router.Api.V1;

namespace S3Router.MaskRegistry.Masks;

/// <summary>What a parsed bundle says about itself.</summary>
/// <param name="Task">The route's task.</param>
/// <param name="LanguageCode">The route's language.</param>
/// <param name="BackboneDigest">"sha256:&lt;hex&gt;" of the backbone the masks apply to.</param>
/// <param name="HeadKind">What the head computes.</param>
/// <param name="LabelCount">Vocabulary entries or classes.</param>
/// <param name="MaskedTensors">Each masked backbone tensor with its shape and kept fraction.</param>
/// <param name="Lineage">How it was made.</param>
/// <param name="Metrics">Evaluation metrics.</param>
internal sealed record BundleInfo(
    string Task,
    string LanguageCode,
    string BackboneDigest,
    HeadKind HeadKind,
    int LabelCount,
    IReadOnlyList<BundleTensor> MaskedTensors,
    MaskLineage Lineage,
    IReadOnlyDictionary<string, double> Metrics);
