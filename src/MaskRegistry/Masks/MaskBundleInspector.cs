using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.Core.Routes;

namespace S3Router.MaskRegistry.Masks;

/// <summary>Reads bundles with the Core mask bundle format (safetensors + metadata); invalid files throw InvalidInputException.</summary>
internal sealed class MaskBundleInspector : IBundleInspector
{
    public BundleInfo Inspect(string path)
    {
        var bundle = MaskBundle.Read(path);
        var lineage = new Api.V1.MaskLineage
        {
            JobId = bundle.Lineage.JobId,
            DatasetDigest = bundle.Lineage.DatasetDigest,
            ParentVersion = bundle.Lineage.ParentVersion ?? 0,
            PruneRate = bundle.Lineage.PruneRate,
            InitScore = bundle.Lineage.InitScore,
            ParentBundleDigest = bundle.Lineage.ParentBundleDigest.Length == 0 ? "" : RouteNames.DigestPrefix + bundle.Lineage.ParentBundleDigest,
            TorchThreads = bundle.Lineage.TorchThreads,
            OnednnMaxIsa = bundle.Lineage.OneDnnMaxIsa,
        };
        return new BundleInfo(
            bundle.Task,
            bundle.Language.Length == 0 ? RouteNames.NoLanguage : bundle.Language,
            RouteNames.DigestPrefix + bundle.BackboneDigest,
            bundle.HeadKind == MaskHeadKind.Ctc ? HeadKind.Ctc : HeadKind.Classifier,
            bundle.Labels.Count,
            bundle.Masks.Select(m => new BundleTensor(m.Name, m.Shape, m.KeepRatio)).ToList(),
            lineage,
            bundle.Metrics);
    }
}
