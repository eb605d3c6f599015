namespace S3Router.Deployment.Tests.Kubernetes;

/// <summary>The checks themselves: a sound small manifest passes, and each flaw planted in it is reported.</summary>
public sealed class ManifestChecksTests
{
    private const string Sound = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api, namespace: ns}
        spec:
          selector: {matchLabels: {app: api}}
          template:
            metadata: {labels: {app: api}}
            spec:
              securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
              containers:
                - name: api
                  image: ghcr.io/acme/api:1.2.3
                  envFrom: [{configMapRef: {name: api-options}}]
                  env:
                    - name: KEY
                      valueFrom: {secretKeyRef: {name: api-secret, key: key}}
                  ports: [{name: grpc, containerPort: 8080}]
                  readinessProbe: {grpc: {port: 8080, service: ready}}
                  livenessProbe: {grpc: {port: 8080, service: live}}
                  resources:
                    requests: {cpu: 250m, memory: 256Mi}
                    limits: {cpu: "1", memory: 512Mi}
                  securityContext:
                    allowPrivilegeEscalation: false
                    readOnlyRootFilesystem: true
                    capabilities: {drop: [ALL]}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: api-options, namespace: ns}
        data: {A: b}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: api-secret, namespace: ns}
        stringData: {key: value}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: api, namespace: ns}
        spec:
          selector: {app: api}
          ports: [{name: grpc, port: 80, targetPort: grpc}]
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: api, namespace: ns}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
          minReplicas: 1
          maxReplicas: 3
          metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: api, namespace: ns}
        spec:
          maxUnavailable: 1
          selector: {matchLabels: {app: api}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: api, namespace: ns}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress: [{from: [{podSelector: {matchExpressions: [{key: app, operator: In, values: [api, web]}]}}]}]
        """;

    [Fact]
    public void AllChecks_SoundManifest_ReportNothing()
    {
        var m = RenderedManifests.Parse(Sound);

        Assert.Empty(ManifestChecks.Selectors(m));
        Assert.Empty(ManifestChecks.Resources(m));
        Assert.Empty(ManifestChecks.Autoscalers(m));
        Assert.Empty(ManifestChecks.Probes(m));
        Assert.Empty(ManifestChecks.ServicePorts(m));
        Assert.Empty(ManifestChecks.Images(m));
        Assert.Empty(ManifestChecks.SecurityContexts(m));
        Assert.Empty(ManifestChecks.References(m, new HashSet<string>(), new HashSet<string>()));
    }

    [Fact]
    public void Parse_UnknownField_Throws()
    {
        var yaml = Sound.Replace("maxUnavailable: 1", "maxUnavailable: 1\n  maxUnavailble: 1", StringComparison.Ordinal);

        Assert.ThrowsAny<Exception>(() => RenderedManifests.Parse(yaml));
    }

    [Theory]
    [InlineData("selector: {app: api}", "selector: {app: apj}", "Service/api: selector matches no pod template")]
    [InlineData("selector: {matchLabels: {app: api}}\n  template", "selector: {matchLabels: {app: other}}\n  template", "Deployment/api: selector does not match")]
    [InlineData("maxUnavailable: 1\n  selector: {matchLabels: {app: api}}", "maxUnavailable: 1\n  selector: {matchLabels: {app: gone}}", "PodDisruptionBudget/api")]
    [InlineData("podSelector: {matchLabels: {app: api}}", "podSelector: {matchLabels: {app: nobody}}", "NetworkPolicy/api: podSelector")]
    [InlineData("values: [api, web]", "values: [web]", "NetworkPolicy/api: an ingress peer")]
    public void Selectors_Mismatch_Reported(string from, string to, string expected) =>
        AssertReported(ManifestChecks.Selectors(Plant(from, to)), expected);

    [Theory]
    [InlineData("requests: {cpu: 250m, memory: 256Mi}", "requests: {cpu: 1500m, memory: 256Mi}", "cpu request 1500m exceeds its limit 1")]
    [InlineData("requests: {cpu: 250m, memory: 256Mi}", "requests: {cpu: 250m, memory: 1Gi}", "memory request 1Gi exceeds its limit 512Mi")]
    [InlineData("requests: {cpu: 250m, memory: 256Mi}", "requests: {memory: 256Mi}", "no cpu request")]
    [InlineData("limits: {cpu: \"1\", memory: 512Mi}", "limits: {cpu: \"1\"}", "no memory limit")]
    public void Resources_Flaw_Reported(string from, string to, string expected) =>
        AssertReported(ManifestChecks.Resources(Plant(from, to)), expected);

    [Theory]
    [InlineData("kind: Deployment, name: api}", "kind: Deployment, name: apx}", "target apps/v1 Deployment/apx does not exist")]
    [InlineData("kind: Deployment, name: api}", "kind: StatefulSet, name: api}", "does not exist")]
    [InlineData("minReplicas: 1", "minReplicas: 5", "minReplicas above maxReplicas")]
    public void Autoscalers_Flaw_Reported(string from, string to, string expected) =>
        AssertReported(ManifestChecks.Autoscalers(Plant(from, to)), expected);

    [Theory]
    [InlineData("readinessProbe: {grpc: {port: 8080, service: ready}}", "", "no readinessProbe")]
    [InlineData("livenessProbe: {grpc: {port: 8080, service: live}}", "", "no livenessProbe")]
    [InlineData("livenessProbe: {grpc: {port: 8080, service: live}}", "livenessProbe: {grpc: {port: 9090, service: live}}", "liveness probe port 9090")]
    public void Probes_Flaw_Reported(string from, string to, string expected) =>
        AssertReported(ManifestChecks.Probes(Plant(from, to)), expected);

    [Theory]
    [InlineData("targetPort: grpc", "targetPort: grcp", "targets 'grcp'")]
    [InlineData("targetPort: grpc", "targetPort: 8081", "targets '8081'")]
    public void ServicePorts_Mismatch_Reported(string from, string to, string expected) =>
        AssertReported(ManifestChecks.ServicePorts(Plant(from, to)), expected);

    [Theory]
    [InlineData("ghcr.io/acme/api:latest", "floating tag 'latest'")]
    [InlineData("ghcr.io/acme/api", "has no tag")]
    [InlineData("localhost:5000/acme/api", "has no tag")]
    [InlineData("ghcr.io/acme/api:stable", "floating tag 'stable'")]
    [InlineData("acme/api", "has no tag")]
    [InlineData("api:1.0", "names no registry")]
    public void Images_Unpinned_Reported(string image, string expected) =>
        AssertReported(ManifestChecks.Images(Plant("ghcr.io/acme/api:1.2.3", image)), expected);

    [Theory]
    [InlineData("ghcr.io/acme/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("localhost:5000/acme/api:1.0")]
    public void Images_Pinned_Accepted(string image) =>
        Assert.Empty(ManifestChecks.Images(Plant("ghcr.io/acme/api:1.2.3", image)));

    [Theory]
    [InlineData("runAsNonRoot: true, runAsUser: 10001,", "runAsUser: 10001,", "runAsNonRoot is not true")]
    [InlineData("runAsNonRoot: true, runAsUser: 10001,", "runAsNonRoot: true, runAsUser: 0,", "explicit non-root user")]
    [InlineData("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", "allowPrivilegeEscalation is not false")]
    [InlineData("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem is not true")]
    [InlineData("capabilities: {drop: [ALL]}", "capabilities: {drop: [NET_RAW]}", "capabilities do not drop ALL")]
    [InlineData("capabilities: {drop: [ALL]}", "capabilities: {drop: [ALL], add: [NET_ADMIN]}", "capabilities do not drop ALL")]
    [InlineData("seccompProfile: {type: RuntimeDefault}", "seccompProfile: {type: Unconfined}", "seccompProfile is not RuntimeDefault")]
    public void SecurityContexts_Weakened_Reported(string from, string to, string expected) =>
        AssertReported(ManifestChecks.SecurityContexts(Plant(from, to)), expected);

    [Theory]
    [InlineData("configMapRef: {name: api-options}", "configMapRef: {name: api-opts}", "ConfigMap 'api-opts' does not exist")]
    [InlineData("secretKeyRef: {name: api-secret, key: key}", "secretKeyRef: {name: api-secret, key: other}", "Secret 'api-secret' has no key 'other'")]
    [InlineData("secretKeyRef: {name: api-secret, key: key}", "secretKeyRef: {name: db, key: key}", "Secret 'db' does not exist and is not declared external")]
    public void References_Dangling_Reported(string from, string to, string expected) =>
        AssertReported(ManifestChecks.References(Plant(from, to), new HashSet<string>(), new HashSet<string>()), expected);

    [Fact]
    public void References_DeclaredExternalSecret_Accepted()
    {
        var m = Plant("secretKeyRef: {name: api-secret, key: key}", "secretKeyRef: {name: db, key: key}");

        Assert.Empty(ManifestChecks.References(m, new HashSet<string> { "db" }, new HashSet<string>()));
    }

    private static RenderedManifests Plant(string from, string to)
    {
        Assert.Contains(from, Sound, StringComparison.Ordinal);
        return RenderedManifests.Parse(Sound.Replace(from, to, StringComparison.Ordinal));
    }

    private static void AssertReported(List<string> errors, string expected) =>
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
}
