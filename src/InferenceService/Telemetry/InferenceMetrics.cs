using Prometheus;

namespace S3Router.InferenceService.Telemetry;

/// <summary>Every Prometheus instrument of the inference service, declared once. Labels are low-cardinality only.</summary>
internal sealed class InferenceMetrics
{
    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.001, 2, 16);

    private readonly Histogram _routeSeconds = Metrics.CreateHistogram(
        "s3router_inference_route_duration_seconds", "Time from queueing to the head's result, per route.",
        new HistogramConfiguration { LabelNames = ["task", "language"], Buckets = LatencyBuckets });

    private readonly Counter _requests = Metrics.CreateCounter(
        "s3router_inference_requests_total", "Route runs by outcome (ok, or the error kind).", "task", "status");

    private readonly Histogram _batchSize = Metrics.CreateHistogram(
        "s3router_inference_batch_size", "Utterances per backbone batch.",
        new HistogramConfiguration { Buckets = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64] });

    private readonly Gauge _queueDepth = Metrics.CreateGauge(
        "s3router_inference_queue_depth", "Requests waiting for a batch, over all routes.");

    private readonly Counter _rejected = Metrics.CreateCounter(
        "s3router_inference_queue_rejected_total", "Requests refused because the queue was full.");

    private readonly Counter _cacheHits = Metrics.CreateCounter(
        "s3router_inference_cache_hits_total", "Mask cache hits (tier=hot: ready session; tier=cold: packed bundle).", "tier");

    private readonly Counter _cacheMisses = Metrics.CreateCounter(
        "s3router_inference_cache_misses_total", "Mask cache misses (a session was built or a bundle fetched).", "tier");

    private readonly Counter _cacheEvictions = Metrics.CreateCounter(
        "s3router_inference_cache_evictions_total", "Mask cache evictions to stay within the budget.", "tier");

    private readonly Counter _backgroundLoads = Metrics.CreateCounter(
        "s3router_inference_background_loads_total",
        "Route loads no request asked for, by trigger (preload: start-up lists; prefetch: registry events), tier loaded into (hot: bundle and session; cold: bundle only) and outcome (ok, or the error kind).",
        "trigger", "tier", "status");

    private readonly Gauge _residentBytes = Metrics.CreateGauge(
        "s3router_inference_cache_resident_bytes", "Estimated bytes held by the mask cache.", "tier");

    private readonly Gauge _onnxSessions = Metrics.CreateGauge(
        "s3router_inference_onnx_sessions", "Live ONNX Runtime sessions (shared frontend and hot routes); under churn it stays at the hot tier's count.");

    private readonly Gauge _memorySettings = Metrics.CreateGauge(
        "s3router_inference_memory_settings",
        "1 for the memory settings in effect: GC mode, GC conserve-memory level, glibc malloc policy (return_freed or default).",
        "gc", "conserve_memory", "glibc");

    private readonly Histogram _memorySettleSeconds = Metrics.CreateHistogram(
        "s3router_inference_memory_settle_seconds", "Pause of each memory settle after a burst of route loads (compacting full GC and glibc trim).",
        new HistogramConfiguration { Buckets = LatencyBuckets });

    private readonly Counter _registryEvents = Metrics.CreateCounter(
        "s3router_inference_registry_events_total", "WatchMasks events received.", "type");

    public InferenceMetrics()
    {
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() => _onnxSessions.Set(Onnx.OnnxSessions.LiveSessions));
    }

    public void RouteCompleted(string task, string language, TimeSpan elapsed)
    {
        _routeSeconds.WithLabels(task, language).Observe(elapsed.TotalSeconds);
        _requests.WithLabels(task, "ok").Inc();
    }

    public void RouteFailed(string task, string status) => _requests.WithLabels(task, status).Inc();

    public void Batch(int size) => _batchSize.Observe(size);

    public void QueueDepthChanged(int delta) => _queueDepth.Inc(delta);

    public void Rejected() => _rejected.Inc();

    public void CacheHit(string tier) => _cacheHits.WithLabels(tier).Inc();

    public void CacheMiss(string tier) => _cacheMisses.WithLabels(tier).Inc();

    public void CacheEvicted(string tier) => _cacheEvictions.WithLabels(tier).Inc();

    public void BackgroundLoad(string trigger, string tier, string status) => _backgroundLoads.WithLabels(trigger, tier, status).Inc();

    /// <summary>Background loads counted so far with these labels, in this process (tests, diagnostics).</summary>
    public double BackgroundLoads(string trigger, string tier, string status) => _backgroundLoads.WithLabels(trigger, tier, status).Value;

    public void ResidentBytes(string tier, long bytes) => _residentBytes.WithLabels(tier).Set(bytes);

    /// <summary>Publishes the process's effective memory settings (a benchmark or an operator can see what a pod really runs with).</summary>
    public void MemorySettings(bool returnFreedNativeMemory)
    {
        var gc = GC.GetConfigurationVariables();
        var server = gc.TryGetValue("ServerGC", out var s) && s is true ? "server" : "workstation";
        var conserve = gc.TryGetValue("GCConserveMem", out var c) ? Convert.ToString(c, System.Globalization.CultureInfo.InvariantCulture) ?? "0" : "0";
        _memorySettings.WithLabels(server, conserve, returnFreedNativeMemory ? "return_freed" : "default").Set(1);
    }

    public void MemorySettled(TimeSpan pause) => _memorySettleSeconds.Observe(pause.TotalSeconds);

    public void RegistryEvent(string type) => _registryEvents.WithLabels(type).Inc();
}
