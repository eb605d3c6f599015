using Grpc.Core;
using Grpc.Core.Interceptors;
using S3Router.Gateway.Telemetry;

namespace S3Router.Gateway.Auth;

/// <summary>Runs <see cref="ApiKeyAuthenticator"/> before every Speech call; rejections are logged and counted.</summary>
internal sealed class ApiKeyInterceptor(ApiKeyAuthenticator authenticator, GatewayMetrics metrics, ILogger<ApiKeyInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authorize(ServerCallContext context)
    {
        var method = MethodName.Of(context);
        try
        {
            authenticator.Authorize(method, context.RequestHeaders);
        }
        catch (Exception ex)
        {
            metrics.AuthRejected(method, ex is RpcException ? "rate_limited" : ex.GetType().Name.Replace("Exception", "", StringComparison.Ordinal).ToLowerInvariant());
            Log.AuthRejected(logger, method, ex.Message);
            throw;
        }
    }
}
