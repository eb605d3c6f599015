using Prometheus;

namespace S3Router.MaskRegistry.Telemetry;

/// <summary>Every Prometheus instrument of the registry, declared once. Labels are low-cardinality only.</summary>
internal sealed class MaskRegistryMetrics
{
    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.0005, 2, 18);

    private readonly Counter _publishes = Metrics.CreateCounter(
        "s3router_registry_publish_total", "Mask publishes by outcome (created, existing, or the gRPC status).", "status");

    private readonly Histogram _publishSeconds = Metrics.CreateHistogram(
        "s3router_registry_publish_duration_seconds", "Time to receive, verify and commit one bundle.",
        new HistogramConfiguration { Buckets = LatencyBuckets });

    private readonly Counter _resolves = Metrics.CreateCounter(
        "s3router_registry_resolve_total", "Ref resolutions by outcome (ok or the gRPC status).", "status");

    private readonly Histogram _resolveSeconds = Metrics.CreateHistogram(
        "s3router_registry_resolve_duration_seconds", "Time to resolve one ref.",
        new HistogramConfiguration { Buckets = LatencyBuckets });

    private readonly Counter _blobBytes = Metrics.CreateCounter(
        "s3router_registry_blob_bytes_total", "Blob bytes written (direction=in) and served (direction=out).", "direction");

    private readonly Counter _corruptBlobs = Metrics.CreateCounter(
        "s3router_registry_blob_corrupt_total", "Blob reads refused because the file is missing or its digest does not match.");

    private readonly Counter _orphans = Metrics.CreateCounter(
        "s3router_registry_orphan_blobs_deleted_total", "Orphaned blobs and abandoned uploads deleted.");

    private readonly Gauge _watchers = Metrics.CreateGauge(
        "s3router_registry_watchers", "Open WatchMasks streams.");

    public void Published(string status, TimeSpan elapsed)
    {
        _publishes.WithLabels(status).Inc();
        _publishSeconds.Observe(elapsed.TotalSeconds);
    }

    public void Resolved(string status, TimeSpan elapsed)
    {
        _resolves.WithLabels(status).Inc();
        _resolveSeconds.Observe(elapsed.TotalSeconds);
    }

    public void BlobBytesIn(long bytes) => _blobBytes.WithLabels("in").Inc(bytes);

    public void BlobBytesOut(long bytes) => _blobBytes.WithLabels("out").Inc(bytes);

    public void CorruptBlob() => _corruptBlobs.Inc();

    public void OrphansDeleted(int count) => _orphans.Inc(count);

    public IDisposable TrackWatcher() => _watchers.TrackInProgress();
}
