using k8s;
using k8s.Models;

namespace S3Router.Deployment.Tests.Kubernetes;

/// <summary>The typed objects of one or more rendered kustomizations.</summary>
internal sealed class RenderedManifests(IReadOnlyList<object> objects)
{
    public IReadOnlyList<object> Objects { get; } = objects;

    /// <summary>Parses multi-document YAML strictly: an unknown field or kind throws.</summary>
    public static RenderedManifests Parse(string yaml) => new(KubernetesYaml.LoadAllFromString(yaml, strict: true));

    public RenderedManifests Concat(RenderedManifests other) => new([.. Objects, .. other.Objects]);

    public IEnumerable<T> OfType<T>() => Objects.OfType<T>();

    public IReadOnlyList<Workload> Workloads =>
    [
        .. OfType<V1Deployment>().Select(d => new Workload("Deployment", "apps/v1", d.Metadata.NamespaceProperty, d.Metadata.Name, d.Spec.Template)),
        .. OfType<V1StatefulSet>().Select(s => new Workload("StatefulSet", "apps/v1", s.Metadata.NamespaceProperty, s.Metadata.Name, s.Spec.Template)),
        .. OfType<V1Job>().Select(j => new Workload("Job", "batch/v1", j.Metadata.NamespaceProperty, j.Metadata.Name, j.Spec.Template)),
    ];

    public bool Has<T>(string name) where T : IKubernetesObject<V1ObjectMeta> =>
        OfType<T>().Any(o => o.Metadata.Name == name);
}
