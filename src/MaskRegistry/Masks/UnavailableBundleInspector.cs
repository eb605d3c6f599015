using S3Router.Core.Errors;

namespace S3Router.MaskRegistry.Masks;

/// <summary>Placeholder until the Core mask bundle reader is wired in: refuses every bundle.</summary>
internal sealed class UnavailableBundleInspector : IBundleInspector
{
    public BundleInfo Inspect(string path) =>
        throw new FailedPreconditionException("This registry build cannot read mask bundles yet.");
}
