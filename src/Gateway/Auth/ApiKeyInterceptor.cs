using Grpc.Core;
using S3Router.Core.Auth;
using S3Router.Gateway.Telemetry;

namespace S3Router.Gateway.Auth;

/// <summary>Runs <see cref="ApiKeyAuthenticator"/> before every Speech call; rejections are logged and counted.</summary>
internal sealed class ApiKeyInterceptor(ApiKeyAuthenticator authenticator, GatewayMetrics metrics, ILogger<ApiKeyInterceptor> logger) : AuthorizingInterceptor
{
    protected override void Authorize(ServerCallContext context)
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
