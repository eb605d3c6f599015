using Prometheus;
using S3Router.Api.V1;

namespace S3Router.TrainingService.Telemetry;

/// <summary>Every Prometheus instrument of the training service, declared once. Labels are low-cardinality only (never job ids).</summary>
internal sealed class TrainingMetrics
{
    private readonly Gauge _jobs = Metrics.CreateGauge(
        "s3router_training_jobs", "Jobs of this worker by state (queued, running, succeeded, ...).", "state");

    private readonly Counter _finished = Metrics.CreateCounter(
        "s3router_training_jobs_finished_total", "Jobs that ended, by kind and final state.", "kind", "state");

    private readonly Histogram _stepSeconds = Metrics.CreateHistogram(
        "s3router_training_step_duration_seconds", "Wall time of one training step (between two progress reports), by job kind.",
        new HistogramConfiguration { LabelNames = ["kind"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 18) });

    private readonly Counter _publishes = Metrics.CreateCounter(
        "s3router_training_publish_total", "Bundle publishes to the registry by outcome (ok or the gRPC status).", "status");

    /// <summary>Sets the gauge from the database at start-up.</summary>
    public void SetJobCounts(IReadOnlyDictionary<JobState, long> counts)
    {
        foreach (var state in Enum.GetValues<JobState>().Where(s => s != JobState.Unspecified))
        {
            _jobs.WithLabels(Label(state)).Set(counts.GetValueOrDefault(state));
        }
    }

    public void JobAdded(JobState state) => _jobs.WithLabels(Label(state)).Inc();

    public void JobMoved(JobState from, JobState to)
    {
        if (from == to)
        {
            return;
        }

        _jobs.WithLabels(Label(from)).Dec();
        _jobs.WithLabels(Label(to)).Inc();
    }

    public void JobFinished(JobKind kind, JobState state) => _finished.WithLabels(Label(kind), Label(state)).Inc();

    public void StepTook(JobKind kind, TimeSpan elapsed) => _stepSeconds.WithLabels(Label(kind)).Observe(elapsed.TotalSeconds);

    public void Published(string status) => _publishes.WithLabels(status).Inc();

    private static string Label(JobState state) => state.ToString().ToLowerInvariant();

    private static string Label(JobKind kind) => kind.ToString().ToLowerInvariant();
}
