using k8s.Models;

namespace S3Router.Deployment.Tests.Kubernetes;

/// <summary>Every overlay, rendered with kubectl kustomize together with the example training Job, passes every check.</summary>
public sealed class OverlayTests
{
    public static TheoryData<string> Overlays => ["cpu", "gpu", "dev"];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Render_Overlay_ParsesStrictlyIntoTypedObjects(string overlay)
    {
        var manifests = ManifestRenderer.RenderOverlayWithJob(overlay);

        Assert.All(manifests.Objects, o => Assert.IsAssignableFrom<k8s.IKubernetesObject<V1ObjectMeta>>(o));
        Assert.Equal(["gateway", "inference", "registry"], manifests.OfType<V1Deployment>().Select(d => d.Metadata.Name).Order());
        Assert.Equal(["gateway", "inference"], manifests.OfType<V2HorizontalPodAutoscaler>().Select(h => h.Metadata.Name).Order());
        Assert.Equal("train-asr-en", Assert.Single(manifests.OfType<V1Job>()).Metadata.Name);
        Assert.Contains(manifests.OfType<V1NetworkPolicy>(), p => p.Metadata.Name == "default-deny-ingress" && p.Spec.PodSelector.MatchLabels is null);
        Assert.All(manifests.Objects.OfType<k8s.IKubernetesObject<V1ObjectMeta>>().Where(o => o is not V1Namespace),
            o => Assert.Equal("s3router", o.Metadata.NamespaceProperty));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Selectors_Overlay_MatchExistingPods(string overlay) =>
        Assert.Empty(ManifestChecks.Selectors(ManifestRenderer.RenderOverlayWithJob(overlay)));

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Resources_Overlay_RequestsWithinLimits(string overlay) =>
        Assert.Empty(ManifestChecks.Resources(ManifestRenderer.RenderOverlayWithJob(overlay)));

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Autoscalers_Overlay_TargetExistingWorkloads(string overlay) =>
        Assert.Empty(ManifestChecks.Autoscalers(ManifestRenderer.RenderOverlayWithJob(overlay)));

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Probes_Overlay_OnEveryLongRunningContainer(string overlay) =>
        Assert.Empty(ManifestChecks.Probes(ManifestRenderer.RenderOverlayWithJob(overlay)));

    [Theory]
    [MemberData(nameof(Overlays))]
    public void ServicePorts_Overlay_MatchContainerPorts(string overlay) =>
        Assert.Empty(ManifestChecks.ServicePorts(ManifestRenderer.RenderOverlayWithJob(overlay)));

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Images_Overlay_PinnedToVersionTags(string overlay) =>
        Assert.Empty(ManifestChecks.Images(ManifestRenderer.RenderOverlayWithJob(overlay)));

    [Theory]
    [MemberData(nameof(Overlays))]
    public void SecurityContexts_Overlay_NonRootReadOnlyNoCapabilities(string overlay) =>
        Assert.Empty(ManifestChecks.SecurityContexts(ManifestRenderer.RenderOverlayWithJob(overlay)));

    [Theory]
    [InlineData("cpu", true)]
    [InlineData("gpu", true)]
    [InlineData("dev", false)]
    public void References_Overlay_ExistOrAreDeclaredExternal(string overlay, bool productionSecretsExternal)
    {
        // Production overlays expect the registry's Secrets to be created out of band; dev generates them.
        // The training corpora volume is always the operator's (docs/deploy.md).
        IReadOnlySet<string> secrets = productionSecretsExternal
            ? new HashSet<string> { "s3router-registry-db", "s3router-registry-auth" }
            : new HashSet<string>();

        var errors = ManifestChecks.References(ManifestRenderer.RenderOverlayWithJob(overlay), secrets, new HashSet<string> { "training-data" });

        Assert.Empty(errors);
    }
}
