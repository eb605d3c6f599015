using k8s.Models;

namespace S3Router.Deployment.Tests.Kubernetes;

/// <summary>A pod template and the object that owns it (Deployment, StatefulSet or Job).</summary>
internal sealed record Workload(string Kind, string ApiVersion, string? Namespace, string Name, V1PodTemplateSpec Template)
{
    public IDictionary<string, string> Labels => Template.Metadata?.Labels ?? new Dictionary<string, string>();

    public V1PodSpec Spec => Template.Spec;

    /// <summary>Init containers first, then the app containers.</summary>
    public IEnumerable<V1Container> AllContainers => (Spec.InitContainers ?? []).Concat(Spec.Containers ?? []);

    /// <summary>True for workloads that run until stopped (probes matter); false for Jobs.</summary>
    public bool IsLongRunning => Kind is "Deployment" or "StatefulSet" or "DaemonSet";

    public override string ToString() => $"{Kind}/{Name}";
}
