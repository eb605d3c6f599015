using k8s.Models;

namespace S3Router.Deployment.Tests.Kubernetes;

/// <summary>
/// What schemas do not catch in rendered manifests. Every check returns its violations as sentences (empty = fine),
/// so a failing test says what to fix.
/// </summary>
internal static class ManifestChecks
{
    /// <summary>Workload selectors match their own pods; Services, PDBs and NetworkPolicies select pods that exist.</summary>
    public static List<string> Selectors(RenderedManifests m)
    {
        var errors = new List<string>();
        var workloads = m.Workloads;
        foreach (var d in m.OfType<V1Deployment>())
        {
            if (!Matches(d.Spec.Selector, d.Spec.Template.Metadata?.Labels))
            {
                errors.Add($"Deployment/{d.Metadata.Name}: selector does not match its pod template labels");
            }
        }
        foreach (var s in m.OfType<V1StatefulSet>())
        {
            if (!Matches(s.Spec.Selector, s.Spec.Template.Metadata?.Labels))
            {
                errors.Add($"StatefulSet/{s.Metadata.Name}: selector does not match its pod template labels");
            }
            if (!m.OfType<V1Service>().Any(svc => svc.Metadata.Name == s.Spec.ServiceName))
            {
                errors.Add($"StatefulSet/{s.Metadata.Name}: serviceName '{s.Spec.ServiceName}' is not a Service");
            }
        }
        foreach (var svc in m.OfType<V1Service>().Where(s => s.Spec.Selector is { Count: > 0 }))
        {
            if (!workloads.Any(w => SameNamespace(w, svc.Metadata) && Matches(svc.Spec.Selector, w.Labels)))
            {
                errors.Add($"Service/{svc.Metadata.Name}: selector matches no pod template");
            }
        }
        foreach (var pdb in m.OfType<V1PodDisruptionBudget>())
        {
            if (!workloads.Any(w => w.IsLongRunning && SameNamespace(w, pdb.Metadata) && Matches(pdb.Spec.Selector, w.Labels)))
            {
                errors.Add($"PodDisruptionBudget/{pdb.Metadata.Name}: selector matches no Deployment or StatefulSet pods");
            }
        }
        foreach (var np in m.OfType<V1NetworkPolicy>())
        {
            if (!workloads.Any(w => SameNamespace(w, np.Metadata) && Matches(np.Spec.PodSelector, w.Labels)))
            {
                errors.Add($"NetworkPolicy/{np.Metadata.Name}: podSelector matches no pod template");
            }
            var peers = (np.Spec.Ingress ?? []).SelectMany(r => r.FromProperty ?? []);
            foreach (var peer in peers.Where(p => p.PodSelector is not null && p.NamespaceSelector is null && p.IpBlock is null))
            {
                if (!workloads.Any(w => SameNamespace(w, np.Metadata) && Matches(peer.PodSelector, w.Labels)))
                {
                    errors.Add($"NetworkPolicy/{np.Metadata.Name}: an ingress peer's podSelector matches no pod template");
                }
            }
        }
        return errors;
    }

    /// <summary>Every container requests CPU and memory, has a memory limit, and requests no more than its limits.</summary>
    public static List<string> Resources(RenderedManifests m)
    {
        var errors = new List<string>();
        foreach (var (w, c) in Containers(m))
        {
            var requests = c.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>();
            var limits = c.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
            foreach (var required in new[] { "cpu", "memory" }.Where(r => !requests.ContainsKey(r)))
            {
                errors.Add($"{w}/{c.Name}: no {required} request");
            }
            if (!limits.ContainsKey("memory"))
            {
                errors.Add($"{w}/{c.Name}: no memory limit");
            }
            foreach (var (resource, request) in requests)
            {
                if (limits.TryGetValue(resource, out var limit) && request.ToDecimal() > limit.ToDecimal())
                {
                    errors.Add($"{w}/{c.Name}: {resource} request {request} exceeds its limit {limit}");
                }
            }
        }
        return errors;
    }

    /// <summary>Every HPA targets a workload that exists, with a sane range, and CPU utilization targets have CPU requests.</summary>
    public static List<string> Autoscalers(RenderedManifests m)
    {
        var errors = new List<string>();
        foreach (var hpa in m.OfType<V2HorizontalPodAutoscaler>())
        {
            var target = hpa.Spec.ScaleTargetRef;
            var workload = m.Workloads.FirstOrDefault(w => w.IsLongRunning && w.Kind == target.Kind && w.Name == target.Name
                && w.ApiVersion == target.ApiVersion && SameNamespace(w, hpa.Metadata));
            if (workload is null)
            {
                errors.Add($"HorizontalPodAutoscaler/{hpa.Metadata.Name}: target {target.ApiVersion} {target.Kind}/{target.Name} does not exist");
                continue;
            }
            if ((hpa.Spec.MinReplicas ?? 1) > hpa.Spec.MaxReplicas)
            {
                errors.Add($"HorizontalPodAutoscaler/{hpa.Metadata.Name}: minReplicas above maxReplicas");
            }
            var usesCpuUtilization = (hpa.Spec.Metrics ?? []).Any(x => x.Resource?.Name == "cpu" && x.Resource.Target.Type == "Utilization");
            if (usesCpuUtilization && workload.Spec.Containers.Any(c => c.Resources?.Requests?.ContainsKey("cpu") != true))
            {
                errors.Add($"HorizontalPodAutoscaler/{hpa.Metadata.Name}: scales on CPU utilization but {workload} has a container without a CPU request");
            }
        }
        return errors;
    }

    /// <summary>Every container of a Deployment or StatefulSet has liveness and readiness probes, on ports it declares.</summary>
    public static List<string> Probes(RenderedManifests m)
    {
        var errors = new List<string>();
        foreach (var w in m.Workloads.Where(w => w.IsLongRunning))
        {
            foreach (var c in w.Spec.Containers)
            {
                if (c.LivenessProbe is null)
                {
                    errors.Add($"{w}/{c.Name}: no livenessProbe");
                }
                if (c.ReadinessProbe is null)
                {
                    errors.Add($"{w}/{c.Name}: no readinessProbe");
                }
                foreach (var (kind, probe) in new[] { ("liveness", c.LivenessProbe), ("readiness", c.ReadinessProbe), ("startup", c.StartupProbe) })
                {
                    var port = ProbePort(probe);
                    if (port is not null && !HasPort(c, port))
                    {
                        errors.Add($"{w}/{c.Name}: {kind} probe port {port} is not a container port");
                    }
                }
            }
        }
        return errors;
    }

    /// <summary>Every Service port's targetPort (name or number) is a port of every pod the Service selects.</summary>
    public static List<string> ServicePorts(RenderedManifests m)
    {
        var errors = new List<string>();
        foreach (var svc in m.OfType<V1Service>().Where(s => s.Spec.Selector is { Count: > 0 }))
        {
            var selected = m.Workloads.Where(w => SameNamespace(w, svc.Metadata) && Matches(svc.Spec.Selector, w.Labels)).ToList();
            foreach (var port in svc.Spec.Ports ?? [])
            {
                string? targetPort = port.TargetPort;
                var target = string.IsNullOrEmpty(targetPort) ? port.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : targetPort;
                foreach (var w in selected.Where(w => !w.Spec.Containers.Any(c => HasPort(c, target))))
                {
                    errors.Add($"Service/{svc.Metadata.Name}: port '{port.Name}' targets '{target}', which no container of {w} declares");
                }
            }
        }
        return errors;
    }

    /// <summary>Every image has a registry-qualified version tag (or a digest), never <c>latest</c>.</summary>
    public static List<string> Images(RenderedManifests m)
    {
        var errors = new List<string>();
        foreach (var (w, c) in Containers(m))
        {
            var problem = ImageProblem(c.Image);
            if (problem is not null)
            {
                errors.Add($"{w}/{c.Name}: image '{c.Image}' {problem}");
            }
        }
        return errors;
    }

    /// <summary>Pods run non-root with RuntimeDefault seccomp; containers drop every capability, cannot escalate, and have read-only roots.</summary>
    public static List<string> SecurityContexts(RenderedManifests m)
    {
        var errors = new List<string>();
        foreach (var w in m.Workloads)
        {
            var pod = w.Spec.SecurityContext;
            if (pod?.RunAsNonRoot != true)
            {
                errors.Add($"{w}: pod securityContext.runAsNonRoot is not true");
            }
            if (pod?.SeccompProfile?.Type is not ("RuntimeDefault" or "Localhost"))
            {
                errors.Add($"{w}: pod seccompProfile is not RuntimeDefault");
            }
            if (w.Spec.HostNetwork == true || w.Spec.HostPID == true || w.Spec.HostIPC == true)
            {
                errors.Add($"{w}: shares a host namespace");
            }
            foreach (var c in w.AllContainers)
            {
                var sc = c.SecurityContext;
                var user = sc?.RunAsUser ?? pod?.RunAsUser;
                if ((sc?.RunAsNonRoot ?? pod?.RunAsNonRoot) != true || user is null or 0)
                {
                    errors.Add($"{w}/{c.Name}: does not run as an explicit non-root user");
                }
                if (sc?.AllowPrivilegeEscalation != false)
                {
                    errors.Add($"{w}/{c.Name}: allowPrivilegeEscalation is not false");
                }
                if (sc?.Privileged == true)
                {
                    errors.Add($"{w}/{c.Name}: privileged");
                }
                if (sc?.ReadOnlyRootFilesystem != true)
                {
                    errors.Add($"{w}/{c.Name}: readOnlyRootFilesystem is not true");
                }
                if (sc?.Capabilities?.Drop?.Contains("ALL") != true || sc.Capabilities.Add is { Count: > 0 })
                {
                    errors.Add($"{w}/{c.Name}: capabilities do not drop ALL (or add some back)");
                }
            }
        }
        return errors;
    }

    /// <summary>
    /// ConfigMaps, Secrets (and their keys) and PersistentVolumeClaims that pods use exist in the rendering, unless
    /// they are declared external (created out of band).
    /// </summary>
    public static List<string> References(RenderedManifests m, IReadOnlySet<string> externalSecrets, IReadOnlySet<string> externalClaims)
    {
        var errors = new List<string>();
        var configMaps = m.OfType<V1ConfigMap>().ToDictionary(c => c.Metadata.Name);
        var secrets = m.OfType<V1Secret>().ToDictionary(s => s.Metadata.Name);
        var claims = m.OfType<V1PersistentVolumeClaim>().Select(c => c.Metadata.Name).ToHashSet();

        void CheckConfigMap(Workload w, string name, string? key)
        {
            if (!configMaps.TryGetValue(name, out var map))
            {
                errors.Add($"{w}: ConfigMap '{name}' does not exist");
            }
            else if (key is not null && map.Data?.ContainsKey(key) != true && map.BinaryData?.ContainsKey(key) != true)
            {
                errors.Add($"{w}: ConfigMap '{name}' has no key '{key}'");
            }
        }

        void CheckSecret(Workload w, string name, string? key)
        {
            if (!secrets.TryGetValue(name, out var secret))
            {
                if (!externalSecrets.Contains(name))
                {
                    errors.Add($"{w}: Secret '{name}' does not exist and is not declared external");
                }
            }
            else if (key is not null && secret.Data?.ContainsKey(key) != true && secret.StringData?.ContainsKey(key) != true)
            {
                errors.Add($"{w}: Secret '{name}' has no key '{key}'");
            }
        }

        foreach (var w in m.Workloads)
        {
            foreach (var c in w.AllContainers)
            {
                foreach (var from in c.EnvFrom ?? [])
                {
                    if (from.ConfigMapRef is { Optional: not true } cm)
                    {
                        CheckConfigMap(w, cm.Name, null);
                    }
                    if (from.SecretRef is { Optional: not true } sr)
                    {
                        CheckSecret(w, sr.Name, null);
                    }
                }
                foreach (var env in (c.Env ?? []).Where(e => e.ValueFrom is not null))
                {
                    if (env.ValueFrom.ConfigMapKeyRef is { Optional: not true } cmk)
                    {
                        CheckConfigMap(w, cmk.Name, cmk.Key);
                    }
                    if (env.ValueFrom.SecretKeyRef is { Optional: not true } sk)
                    {
                        CheckSecret(w, sk.Name, sk.Key);
                    }
                }
            }
            foreach (var v in w.Spec.Volumes ?? [])
            {
                if (v.ConfigMap is { Optional: not true } cmv)
                {
                    CheckConfigMap(w, cmv.Name, null);
                }
                if (v.Secret is { Optional: not true } sv)
                {
                    CheckSecret(w, sv.SecretName, null);
                }
                if (v.PersistentVolumeClaim is { } pvc && !claims.Contains(pvc.ClaimName) && !externalClaims.Contains(pvc.ClaimName))
                {
                    errors.Add($"{w}: PersistentVolumeClaim '{pvc.ClaimName}' does not exist and is not declared external");
                }
            }
            var volumes = (w.Spec.Volumes ?? []).Select(v => v.Name).ToHashSet();
            var templates = m.OfType<V1StatefulSet>().Where(s => s.Metadata.Name == w.Name && w.Kind == "StatefulSet")
                .SelectMany(s => s.Spec.VolumeClaimTemplates ?? []).Select(t => t.Metadata.Name);
            volumes.UnionWith(templates);
            foreach (var c in w.AllContainers)
            {
                foreach (var mount in (c.VolumeMounts ?? []).Where(vm => !volumes.Contains(vm.Name)))
                {
                    errors.Add($"{w}/{c.Name}: mounts volume '{mount.Name}', which the pod does not define");
                }
            }
        }
        return errors;
    }

    /// <summary>Why an image reference is not pinned, or null when it is.</summary>
    public static string? ImageProblem(string? image)
    {
        if (string.IsNullOrWhiteSpace(image))
        {
            return "is empty";
        }
        if (image.Contains("@sha256:", StringComparison.Ordinal))
        {
            return null;
        }
        var lastSlash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        if (colon <= lastSlash)
        {
            return "has no tag";
        }
        var tag = image[(colon + 1)..];
        if (tag.Equals("latest", StringComparison.OrdinalIgnoreCase) || !tag.Any(char.IsDigit))
        {
            return $"has the floating tag '{tag}'";
        }
        if (lastSlash < 0 && !image.StartsWith("busybox", StringComparison.Ordinal))
        {
            return "names no registry or organisation (was it left out of kustomize images:?)";
        }
        return null;
    }

    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels)
    {
        if (selector is null)
        {
            return false;
        }
        labels ??= new Dictionary<string, string>();
        if (selector.MatchLabels is not null && !Matches(selector.MatchLabels, labels))
        {
            return false;
        }
        return (selector.MatchExpressions ?? []).All(e => e.OperatorProperty switch
        {
            "In" => labels.TryGetValue(e.Key, out var v) && e.Values.Contains(v),
            "NotIn" => !labels.TryGetValue(e.Key, out var v) || !e.Values.Contains(v),
            "Exists" => labels.ContainsKey(e.Key),
            "DoesNotExist" => !labels.ContainsKey(e.Key),
            _ => false,
        });
    }

    public static bool Matches(IDictionary<string, string> selector, IDictionary<string, string>? labels) =>
        labels is not null && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static IEnumerable<(Workload Workload, V1Container Container)> Containers(RenderedManifests m) =>
        m.Workloads.SelectMany(w => w.AllContainers.Select(c => (w, c)));

    private static bool SameNamespace(Workload w, V1ObjectMeta meta) => w.Namespace == meta.NamespaceProperty;

    private static bool HasPort(V1Container c, string port) =>
        (c.Ports ?? []).Any(p => p.Name == port || p.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) == port);

    private static string? ProbePort(V1Probe? probe)
    {
        if (probe?.Grpc is { } grpc)
        {
            return grpc.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        string? port = probe?.HttpGet?.Port ?? probe?.TcpSocket?.Port;
        return port;
    }
}
