using Grpc.Core;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Gateway.Grpc;
using S3Router.Gateway.Resilience;
using S3Router.Gateway.Routing;
using S3Router.Gateway.Validation;

namespace S3Router.Gateway.Proxy;

/// <summary>
/// Forwards Speech calls to the inference endpoints. Unary calls go through the resilience pipeline (each attempt
/// on the next endpoint of the route's ring order); a stream is pinned to one endpoint, chosen by the route of its
/// first message, and is not retried (its audio cannot be replayed). The caller's deadline and cancellation travel
/// downstream; when the caller set no deadline, the configured one is sent. Errors from a pod pass through unchanged,
/// except UNAVAILABLE, which becomes one UNAVAILABLE saying which endpoints were tried.
/// </summary>
internal sealed class SpeechProxy
{
    private readonly EndpointSet _endpoints;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<RecognizeResponse> _recognize;
    private readonly ResiliencePipeline<ListRoutesResponse> _listRoutes;

    public SpeechProxy(EndpointSet endpoints, GatewayResilience resilience, IOptions<GatewayOptions> options, TimeProvider time)
    {
        _endpoints = endpoints;
        _options = options.Value;
        _time = time;
        _recognize = resilience.CallPipeline<RecognizeResponse>(nameof(Speech.SpeechClient.Recognize));
        _listRoutes = resilience.CallPipeline<ListRoutesResponse>(nameof(Speech.SpeechClient.ListRoutes));
    }

    /// <summary>Sends the request's bytes, unchanged, to the route's endpoint (every attempt sends the same bytes).</summary>
    /// <param name="request">A validated request.</param>
    /// <param name="deadline">The caller's deadline (UTC), <see cref="DateTime.MaxValue"/> when none.</param>
    /// <param name="cancellationToken">The call's token: fires on the deadline and when the caller goes away.</param>
    public Task<RecognizeResponse> RecognizeAsync(ForwardedRecognizeRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(_recognize, RouteKey.Of(request.Task, request.LanguageCode),
            (endpoint, call) => endpoint.Invoker.AsyncUnaryCall(SpeechMethods.ForwardedRecognize, null, call, request),
            Deadline(deadline, _options.CallTimeout), cancellationToken);

    /// <summary>Sends a parsed request, serialised again (<see cref="GatewayOptions.RecognizePassThrough"/> false).</summary>
    public Task<RecognizeResponse> RecognizeAsync(RecognizeRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(_recognize, RouteKey.Of(request.Task, request.LanguageCode),
            (endpoint, call) => endpoint.Client.RecognizeAsync(request, call), Deadline(deadline, _options.CallTimeout), cancellationToken);

    public Task<ListRoutesResponse> ListRoutesAsync(ListRoutesRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        UnaryAsync(_listRoutes, RouteKey.ListRoutes,
            (endpoint, call) => endpoint.Client.ListRoutesAsync(request, call), Deadline(deadline, _options.CallTimeout), cancellationToken);

    /// <summary>Proxies a stream whose validated first message is <paramref name="first"/> to the route's endpoint.</summary>
    public async Task StreamAsync(
        StreamingRecognizeRequest first,
        IAsyncStreamReader<StreamingRecognizeRequest> requests,
        IServerStreamWriter<StreamingRecognizeResponse> responses,
        DateTime deadline,
        CancellationToken cancellationToken)
    {
        var routeKey = RouteKey.Of(first.StreamingConfig.Task, first.StreamingConfig.LanguageCode);
        var endpoint = _endpoints.Acquire(routeKey, []);
        try
        {
            var downstreamDeadline = Deadline(deadline, _options.StreamTimeout);
            await endpoint.Breaker.ExecuteAsync(
                async token => await PipeAsync(endpoint, first, requests, responses, downstreamDeadline, token), cancellationToken);
        }
        catch (Exception ex) when (GatewayResilience.IsRetryable(ex) && ex is not UnavailableException && !cancellationToken.IsCancellationRequested)
        {
            throw new UnavailableException($"The inference endpoint {endpoint.Address} for {routeKey} is unavailable: {Detail(ex)}", ex);
        }
        finally
        {
            endpoint.Release();
        }
    }

    private async Task<T> UnaryAsync<T>(
        ResiliencePipeline<T> pipeline,
        string routeKey,
        Func<InferenceEndpoint, CallOptions, AsyncUnaryCall<T>> invoke,
        DateTime deadline,
        CancellationToken cancellationToken)
    {
        var state = new AttemptState();
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            return await pipeline.ExecuteAsync(
                async ctx =>
                {
                    var endpoint = _endpoints.Acquire(routeKey, state.Tried);
                    state.Add(endpoint, ctx);
                    try
                    {
                        // The attempt's token fires on the caller's cancellation, the pipeline timeout, and a won hedge.
                        return await endpoint.Breaker.ExecuteAsync(
                            async token => await invoke(endpoint, new CallOptions(deadline: deadline, cancellationToken: token)),
                            ctx.CancellationToken);
                    }
                    finally
                    {
                        endpoint.Release();
                    }
                },
                context);
        }
        catch (Exception ex) when (GatewayResilience.IsRetryable(ex) && ex is not UnavailableException && !cancellationToken.IsCancellationRequested)
        {
            var tried = state.Tried;
            throw new UnavailableException(
                $"No inference endpoint could serve {routeKey} after {tried.Length} attempt(s) on {state.Describe()}: {Detail(ex)}", ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static async Task PipeAsync(
        InferenceEndpoint endpoint,
        StreamingRecognizeRequest first,
        IAsyncStreamReader<StreamingRecognizeRequest> requests,
        IServerStreamWriter<StreamingRecognizeResponse> responses,
        DateTime deadline,
        CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var call = endpoint.Client.StreamingRecognize(new CallOptions(deadline: deadline, cancellationToken: cts.Token));
        var upstream = await TryWriteAsync(call.RequestStream, first, cts.Token)
            ? ForwardRequestsAsync(requests, call.RequestStream, cts)
            : Task.CompletedTask;
        try
        {
            while (await call.ResponseStream.MoveNext(cts.Token))
            {
                await responses.WriteAsync(call.ResponseStream.Current, cts.Token);
            }
        }
        catch (Exception) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The caller's side failed (a bad message) and cancelled the pod's stream: report the caller's error.
            await upstream;
            throw;
        }
        finally
        {
            if (!upstream.IsCompleted)
            {
                await cts.CancelAsync();
            }
        }
        await upstream;
    }

    // Caller → pod. Never throws once the stream was cancelled from the response side (the pod ended or failed first).
    private static async Task ForwardRequestsAsync(
        IAsyncStreamReader<StreamingRecognizeRequest> requests, IClientStreamWriter<StreamingRecognizeRequest> downstream, CancellationTokenSource cts)
    {
        try
        {
            while (await requests.MoveNext(cts.Token))
            {
                SpeechRequestValidator.ValidateFollowing(requests.Current);
                if (!await TryWriteAsync(downstream, requests.Current, cts.Token))
                {
                    return;
                }
            }
            await downstream.CompleteAsync();
        }
        catch (Exception) when (!cts.IsCancellationRequested)
        {
            await cts.CancelAsync();
            throw;
        }
        catch (Exception)
        {
            // cancelled because the response side ended; nothing left to forward
        }
    }

    // A write fails when the pod already ended the call (an error, or a final answer); the pod's status then arrives
    // on the response stream, which is what the caller must see, so the write error itself is not reported.
    private static async Task<bool> TryWriteAsync(
        IClientStreamWriter<StreamingRecognizeRequest> downstream, StreamingRecognizeRequest message, CancellationToken cancellationToken)
    {
        try
        {
            await downstream.WriteAsync(message, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The earlier of the caller's deadline and now + <paramref name="limit"/>.</summary>
    private DateTime Deadline(DateTime callerDeadline, TimeSpan limit)
    {
        var own = _time.GetUtcNow().UtcDateTime + limit;
        return callerDeadline < own ? callerDeadline : own;
    }

    private static string Detail(Exception ex) => ex is RpcException rpc ? rpc.Status.Detail : ex.Message;
}
