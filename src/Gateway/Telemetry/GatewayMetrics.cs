using Grpc.Core;
using Polly.CircuitBreaker;
using Prometheus;

namespace S3Router.Gateway.Telemetry;

/// <summary>
/// Every Prometheus instrument of the gateway, declared once. Labels are low-cardinality: method, status, and the
/// endpoint address (one value per inference pod).
/// </summary>
internal sealed class GatewayMetrics
{
    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.0005, 2, 18);

    private readonly Counter _requests = Metrics.CreateCounter(
        "s3router_gateway_requests_total", "Speech calls by method and final gRPC status.", "method", "status");

    private readonly Histogram _duration = Metrics.CreateHistogram(
        "s3router_gateway_request_duration_seconds", "Time from the call's arrival to its end, retries included.",
        new HistogramConfiguration { Buckets = LatencyBuckets, LabelNames = ["method"] });

    private readonly Gauge _inFlight = Metrics.CreateGauge(
        "s3router_gateway_endpoint_in_flight", "Calls in flight to each inference endpoint.", "endpoint");

    private readonly Gauge _circuit = Metrics.CreateGauge(
        "s3router_gateway_endpoint_circuit_state", "Circuit of each endpoint: 0 closed, 1 half-open, 2 open.", "endpoint");

    private readonly Gauge _endpoints = Metrics.CreateGauge(
        "s3router_gateway_endpoints", "Inference endpoints currently known.");

    private readonly Counter _retries = Metrics.CreateCounter(
        "s3router_gateway_retries_total", "Retries after UNAVAILABLE, by method.", "method");

    private readonly Counter _hedges = Metrics.CreateCounter(
        "s3router_gateway_hedges_total", "Hedged calls sent, by method.", "method");

    private readonly Counter _authRejected = Metrics.CreateCounter(
        "s3router_gateway_auth_rejected_total", "Calls refused by auth or rate limits, by method and reason.", "method", "reason");

    public void Completed(string method, StatusCode status, TimeSpan elapsed)
    {
        _requests.WithLabels(method, status.ToString()).Inc();
        _duration.WithLabels(method).Observe(elapsed.TotalSeconds);
    }

    public void InFlight(string endpoint, int count) => _inFlight.WithLabels(endpoint).Set(count);

    public void Circuit(string endpoint, CircuitState state) => _circuit.WithLabels(endpoint).Set(state switch
    {
        CircuitState.Closed => 0,
        CircuitState.HalfOpen => 1,
        _ => 2,
    });

    /// <summary>Drops the per-endpoint series of an endpoint that went away.</summary>
    public void EndpointRemoved(string endpoint)
    {
        _inFlight.RemoveLabelled(endpoint);
        _circuit.RemoveLabelled(endpoint);
    }

    public void Endpoints(int count) => _endpoints.Set(count);

    public void Retry(string method) => _retries.WithLabels(method).Inc();

    public void Hedge(string method) => _hedges.WithLabels(method).Inc();

    public void AuthRejected(string method, string reason) => _authRejected.WithLabels(method, reason).Inc();
}
