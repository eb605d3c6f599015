using Grpc.Core;
using Grpc.Core.Interceptors;
using S3Router.Core.Errors;

namespace S3Router.Gateway.Telemetry;

/// <summary>
/// Counts every Speech call by method and final status and times it. Runs before auth, so rejected calls count too;
/// the status of a typed exception is the one the Core ExceptionInterceptor will send.
/// </summary>
internal sealed class MetricsInterceptor(GatewayMetrics metrics, TimeProvider time) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var started = time.GetTimestamp();
        try
        {
            var response = await continuation(request, context);
            Record(context, started, null);
            return response;
        }
        catch (Exception ex)
        {
            Record(context, started, ex);
            throw;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var started = time.GetTimestamp();
        try
        {
            await continuation(requestStream, responseStream, context);
            Record(context, started, null);
        }
        catch (Exception ex)
        {
            Record(context, started, ex);
            throw;
        }
    }

    private void Record(ServerCallContext context, long started, Exception? error)
    {
        var status = error is null
            ? StatusCode.OK
            : RpcExceptionMapper.ToRpcException(error, context.CancellationToken.IsCancellationRequested).StatusCode;
        metrics.Completed(MethodName.Of(context), status, time.GetElapsedTime(started));
    }
}
