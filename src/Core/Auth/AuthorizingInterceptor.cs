using Grpc.Core;
using Grpc.Core.Interceptors;

namespace S3Router.Core.Auth;

/// <summary>
/// Base of a server interceptor that checks every call, of all four kinds (unary, client, server and duplex
/// streaming), before its handler runs. The service keeps its own rules in <see cref="Authorize"/>.
/// </summary>
public abstract class AuthorizingInterceptor : Interceptor
{
    /// <summary>
    /// Admits the call or throws (typically <see cref="Errors.UnauthenticatedException"/> or
    /// <see cref="Errors.PermissionDeniedException"/>); runs before the handler sees any message.
    /// </summary>
    protected abstract void Authorize(ServerCallContext context);

    /// <inheritdoc/>
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, context);
    }

    /// <inheritdoc/>
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, context);
    }

    /// <inheritdoc/>
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    /// <inheritdoc/>
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, responseStream, context);
    }
}
