using System.Collections.Concurrent;
using S3Router.Deployment.Tests.TestSupport;

namespace S3Router.Deployment.Tests.Kubernetes;

/// <summary>Renders kustomizations with <c>kubectl kustomize</c>, once per folder per test run.</summary>
internal static class ManifestRenderer
{
    /// <summary>Every overlay is checked together with a training Job, which is applied into the same namespace.</summary>
    public const string JobExample = "k8s/jobs/examples/asr-en";

    private static readonly ConcurrentDictionary<string, Lazy<string>> Cache = new();

    // Parsed once per folder too: the tests only read the objects.
    private static readonly ConcurrentDictionary<string, Lazy<RenderedManifests>> Parsed = new();

    public static string RenderYaml(string kustomizationDir)
    {
        var kubectl = ExternalTool.Require("kubectl", "kubectl with its built-in kustomize renders k8s/");
        return Cache.GetOrAdd(kustomizationDir, dir => new Lazy<string>(() =>
        {
            var (exit, stdout, stderr) = ExternalTool.Run(kubectl, RepositoryPaths.Root, "kustomize", dir);
            Assert.True(exit == 0, $"kubectl kustomize {dir} failed ({exit}): {stderr}");
            return stdout;
        })).Value;
    }

    public static RenderedManifests Render(string kustomizationDir)
    {
        var yaml = RenderYaml(kustomizationDir);
        return Parsed.GetOrAdd(kustomizationDir, _ => new Lazy<RenderedManifests>(() => RenderedManifests.Parse(yaml))).Value;
    }

    /// <summary>An overlay (cpu, gpu, dev) plus the example training Job.</summary>
    public static RenderedManifests RenderOverlayWithJob(string overlay) =>
        Render($"k8s/overlays/{overlay}").Concat(Render(JobExample));
}
