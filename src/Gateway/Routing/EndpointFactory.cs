using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using S3Router.Core.Hosting;
using S3Router.Gateway.Resilience;
using S3Router.Gateway.Telemetry;

namespace S3Router.Gateway.Routing;

/// <summary>
/// Creates an <see cref="InferenceEndpoint"/>: one GrpcChannel per pod over a SocketsHttpHandler that opens more
/// HTTP/2 connections when one is full and pings idle connections so a dead pod is noticed, plus its circuit breaker.
/// </summary>
internal sealed class EndpointFactory(
    IOptions<GatewayOptions> options, IOptions<ServiceDefaultsOptions> serviceOptions, GatewayResilience resilience, GatewayMetrics metrics,
    TimeProvider time)
{
    public InferenceEndpoint Create(string address)
    {
        var o = options.Value;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = o.KeepAlivePingDelay,
            KeepAlivePingTimeout = o.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = o.ConnectTimeout,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            // Responses may be as large as requests (many routes, word offsets); sends are limited by the caller's request.
            MaxReceiveMessageSize = serviceOptions.Value.MaxReceiveMessageBytes,
            MaxSendMessageSize = null,
        });
        var dead = new CircuitBreakerStateProvider();
        var ratio = new CircuitBreakerStateProvider();
        InferenceEndpoint? endpoint = null;
        // The breakers only open while a call runs through them, so the endpoint exists by then.
        var breaker = resilience.EndpointBreaker(address, dead, ratio, breakDuration => endpoint!.CircuitOpened(breakDuration));
        metrics.Circuit(address, CircuitState.Closed);
        metrics.InFlight(address, 0);
        endpoint = new InferenceEndpoint(
            address, channel, breaker, () => GatewayResilience.Worst(dead.CircuitState, ratio.CircuitState), time, e => metrics.InFlight(e.Address, e.InFlight));
        return endpoint;
    }
}
