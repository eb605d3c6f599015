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
    /// The circuit breakers of one endpoint, one pipeline; both count only UNAVAILABLE as failure (a NOT_FOUND route is
    /// the caller's problem, not the pod's). The outer one opens on a dead endpoint: at least
    /// <see cref="GatewayOptions.CircuitDeadMinimumFailures"/> calls in <see cref="GatewayOptions.CircuitDeadWindow"/>, all
    /// failed. The inner one opens on a failure ratio over <see cref="GatewayOptions.CircuitSamplingDuration"/> (a flaky
    /// pod); alone it kept a killed pod that had been busy closed for about half its window, because the pod's last
    /// successes were still counted. Both break for <see cref="GatewayOptions.CircuitBreakDuration"/>, then let one
    /// probe through. <paramref name="opened"/> is told the break duration each time either opens.
    /// </summary>
    public ResiliencePipeline EndpointBreaker(
        string endpoint, CircuitBreakerStateProvider dead, CircuitBreakerStateProvider ratio, Action<TimeSpan>? opened = null)
    {
        var o = options.Value;
        // The gauge shows the endpoint's worse circuit; Polly has set the new state before it runs these callbacks.
        ValueTask Report(bool isOpened, TimeSpan breakDuration = default)
        {
            var state = Worst(dead.CircuitState, ratio.CircuitState);
            metrics.Circuit(endpoint, state);
            if (isOpened)
            {
                opened?.Invoke(breakDuration);
                Log.CircuitOpened(logger, endpoint, breakDuration);
            }
            else if (state == CircuitState.Closed)
            {
                Log.CircuitClosed(logger, endpoint);
            }
            return default;
        }

        CircuitBreakerStrategyOptions Breaker(double failureRatio, TimeSpan sampling, int minimumThroughput, CircuitBreakerStateProvider state) => new()
        {
            FailureRatio = failureRatio,
            SamplingDuration = sampling,
            MinimumThroughput = minimumThroughput,
            BreakDuration = o.CircuitBreakDuration,
            StateProvider = state,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is RpcException { StatusCode: StatusCode.Unavailable }),
            OnOpened = args => Report(isOpened: true, args.BreakDuration),
            OnHalfOpened = _ => Report(isOpened: false),
            OnClosed = _ => Report(isOpened: false),
        };

        // Outer: an open ratio breaker's BrokenCircuitException passes the dead breaker as a non-failure, which is harmless
        // (the endpoint is open already); the other order would let the dead breaker's rejections count as ratio successes.
        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(Breaker(1.0, o.CircuitDeadWindow, o.CircuitDeadMinimumFailures, dead))
            .AddCircuitBreaker(Breaker(o.CircuitFailureRatio, o.CircuitSamplingDuration, o.CircuitMinimumThroughput, ratio))
            .Build();
    }

    /// <summary>The state that keeps more traffic away: isolated, then open, then half-open, then closed.</summary>
    public static CircuitState Worst(CircuitState a, CircuitState b) => Rank(a) >= Rank(b) ? a : b;

    private static int Rank(CircuitState state) => state switch
    {
        CircuitState.Isolated => 3,
        CircuitState.Open => 2,
        CircuitState.HalfOpen => 1,
        _ => 0,
    };

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
