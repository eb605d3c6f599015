using k8s.Models;

namespace S3Router.Deployment.Tests.Kubernetes;

/// <summary>What distinguishes the overlays from each other.</summary>
public sealed class OverlaySpecificTests
{
    [Fact]
    public void Gpu_Inference_RequestsOneGpuOnGpuNodesWithTheGpuImage()
    {
        var inference = Deployment(ManifestRenderer.Render("k8s/overlays/gpu"), "inference");

        var container = Assert.Single(inference.Spec.Template.Spec.Containers);
        Assert.Equal(1m, container.Resources.Limits["nvidia.com/gpu"].ToDecimal());
        Assert.EndsWith(":0.1.0-gpu", container.Image, StringComparison.Ordinal);
        Assert.Equal("true", inference.Spec.Template.Spec.NodeSelector["nvidia.com/gpu.present"]);
        Assert.Contains(inference.Spec.Template.Spec.Tolerations, t => t.Key == "nvidia.com/gpu" && t.Effect == "NoSchedule");
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("dev")]
    public void CpuOverlays_NoWorkload_AsksForGpus(string overlay)
    {
        var manifests = ManifestRenderer.Render($"k8s/overlays/{overlay}");

        var gpuContainers = manifests.Workloads.SelectMany(w => w.AllContainers)
            .Where(c => c.Resources?.Limits?.ContainsKey("nvidia.com/gpu") == true || c.Image.EndsWith("-gpu", StringComparison.Ordinal));
        Assert.Empty(gpuContainers);
    }

    [Fact]
    public void Dev_Registry_UsesTheInClusterPostgres()
    {
        var manifests = ManifestRenderer.Render("k8s/overlays/dev");

        var postgres = Assert.Single(manifests.OfType<V1StatefulSet>());
        Assert.StartsWith("docker.io/library/postgres:15.", Assert.Single(postgres.Spec.Template.Spec.Containers).Image, StringComparison.Ordinal);
        var db = Assert.Single(manifests.OfType<V1Secret>(), s => s.Metadata.Name == "s3router-registry-db");
        var connection = System.Text.Encoding.UTF8.GetString(db.Data["connection-string"]);
        Assert.Contains("Host=postgres;", connection, StringComparison.Ordinal);
        var password = System.Text.Encoding.UTF8.GetString(Assert.Single(manifests.OfType<V1Secret>(), s => s.Metadata.Name == "s3router-postgres").Data["password"]);
        Assert.Contains($"Password={password}", connection, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void Production_Overlays_ShipNoSecrets(string overlay)
    {
        var manifests = ManifestRenderer.Render($"k8s/overlays/{overlay}");

        Assert.Empty(manifests.OfType<V1Secret>());
        Assert.Empty(manifests.OfType<V1StatefulSet>());
    }

    [Fact]
    public void Base_Registry_ReadsEveryApiKeyFromTheSecretAndNamesItsRole()
    {
        var manifests = ManifestRenderer.Render("k8s/overlays/cpu");
        var registry = Assert.Single(Deployment(manifests, "registry").Spec.Template.Spec.Containers);
        var options = Assert.Single(manifests.OfType<V1ConfigMap>(), c => c.Metadata.Name.StartsWith("registry-options-", StringComparison.Ordinal)).Data;

        var keyIndexes = registry.Env.Where(e => e.Name.StartsWith("MaskRegistry__Auth__Keys__", StringComparison.Ordinal))
            .Select(e => e.Name.Split("__")[3]).ToList();

        Assert.Equal(["0", "1", "2"], keyIndexes);
        Assert.All(keyIndexes, i =>
        {
            Assert.True(options.ContainsKey($"MaskRegistry__Auth__Keys__{i}__Name"));
            Assert.Contains(options[$"MaskRegistry__Auth__Keys__{i}__Role"], new[] { "Reader", "Publisher", "Admin" });
        });
        Assert.Equal("Postgres", options["MaskRegistry__Provider"]);
    }

    [Fact]
    public void Base_Gateway_FindsInferencePodsThroughTheHeadlessService()
    {
        var manifests = ManifestRenderer.Render("k8s/overlays/cpu");
        var options = Assert.Single(manifests.OfType<V1ConfigMap>(), c => c.Metadata.Name.StartsWith("gateway-options-", StringComparison.Ordinal)).Data;
        var headless = Assert.Single(manifests.OfType<V1Service>(), s => s.Metadata.Name == "inference-headless");

        Assert.Equal("None", headless.Spec.ClusterIP);
        Assert.NotEqual(true, headless.Spec.PublishNotReadyAddresses);
        Assert.Equal($"inference-headless.{headless.Metadata.NamespaceProperty}.svc.cluster.local:{headless.Spec.Ports.Single().Port}",
            options["Gateway__Endpoints__Dns"]);
    }

    private static V1Deployment Deployment(RenderedManifests manifests, string name) =>
        Assert.Single(manifests.OfType<V1Deployment>(), d => d.Metadata.Name == name);
}
