using Grpc.Core;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Hedging;
using Polly.Retry;
using Polly.Timeout;
using S3Router.Core.Errors;
using S3Router.Gateway.Telemetry;

namespace S3Router.Gateway.Resilience;

/// <summary>
/// Builds the Polly pipelines, the one place where the gateway retries. A unary call runs
/// timeout → retry (UNAVAILABLE only, exponential backoff with jitter) → hedging (when enabled) → one attempt; every
/// attempt picks its endpoint anew, so a retry or a hedge goes to the next endpoint on the ring, and runs inside that
/// endpoint's own circuit breaker. The gRPC channels have no retry policy of their own (STYLE rule 13).
/// </summary>
internal sealed class GatewayResilience(IOptions<GatewayOptions> options, GatewayMetrics metrics, TimeProvider time, ILogger<GatewayResilience> logger)
{
    /// <summary>True for the failures worth another endpoint: UNAVAILABLE from a pod, its open circuit, or no healthy pod yet.</summary>
    public static bool IsRetryable(Exception? exception) => exception is
        RpcException { StatusCode: StatusCode.Unavailable } or BrokenCircuitException or UnavailableException;

    /// <summary>
    /// The circuit breaker of one endpoint; it counts only UNAVAILABLE as failure (a NOT_FOUND route is the caller's
    /// problem, not the pod's). <paramref name="opened"/> is told the break duration each time the circuit opens.
    /// </summary>
    public ResiliencePipeline EndpointBreaker(string endpoint, CircuitBreakerStateProvider state, Action<TimeSpan>? opened = null)
    {
        var o = options.Value;
        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = o.CircuitFailureRatio,
                SamplingDuration = o.CircuitSamplingDuration,
                MinimumThroughput = o.CircuitMinimumThroughput,
                BreakDuration = o.CircuitBreakDuration,
                StateProvider = state,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is RpcException { StatusCode: StatusCode.Unavailable }),
                OnOpened = args =>
                {
                    opened?.Invoke(args.BreakDuration);
                    metrics.Circuit(endpoint, CircuitState.Open);
                    Log.CircuitOpened(logger, endpoint, args.BreakDuration);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    metrics.Circuit(endpoint, CircuitState.HalfOpen);
                    return default;
                },
                OnClosed = _ =>
                {
                    metrics.Circuit(endpoint, CircuitState.Closed);
                    Log.CircuitClosed(logger, endpoint);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>The pipeline of unary calls of <paramref name="method"/>, labelled so retries and hedges are counted per method.</summary>
    public ResiliencePipeline<T> CallPipeline<T>(string method)
    {
        var o = options.Value;
        var builder = new ResiliencePipelineBuilder<T> { TimeProvider = time }
            .AddTimeout(new TimeoutStrategyOptions { Timeout = o.CallTimeout });
        if (o.RetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<T>
            {
                MaxRetryAttempts = o.RetryAttempts,
                Delay = o.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(IsRetryable(args.Outcome.Exception)),
                OnRetry = args =>
                {
                    metrics.Retry(method);
                    Log.Retrying(logger, method, args.AttemptNumber + 1, AttemptState.EndpointOf(args.Context), args.Outcome.Exception?.Message ?? "");
                    return default;
                },
            });
        }
        if (o.HedgingEnabled)
        {
            builder.AddHedging(new HedgingStrategyOptions<T>
            {
                MaxHedgedAttempts = o.HedgingMaxAttempts,
                Delay = o.HedgingDelay,
                // A failed attempt starts the next hedge at once rather than after the delay.
                ShouldHandle = args => ValueTask.FromResult(IsRetryable(args.Outcome.Exception)),
                OnHedging = _ =>
                {
                    metrics.Hedge(method);
                    return default;
                },
            });
        }
        return builder.Build();
    }
}
