using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Options;
using S3Router.Core.Auth;
using S3Router.Core.Errors;

namespace S3Router.Gateway.Auth;

/// <summary>
/// Decides who may call what, and how often: reads the API key, finds its role, compares it with the method's
/// requirement and takes a permit from the key's token bucket. Methods not in the table need Admin (deny by default).
/// </summary>
internal sealed class ApiKeyAuthenticator
{
    private static readonly Dictionary<string, GatewayRole> Required = new(StringComparer.Ordinal)
    {
        ["ListRoutes"] = GatewayRole.Reader,
        ["Recognize"] = GatewayRole.User,
        ["StreamingRecognize"] = GatewayRole.User,
    };

    private readonly ApiKeyTable<CallerIdentity> _keys;
    private readonly CallerIdentity _anonymous;
    private readonly bool _keyRequired;

    public ApiKeyAuthenticator(IOptions<GatewayAuthOptions> options, TimeProvider time)
    {
        var o = options.Value;
        _keyRequired = o.KeyRequired;
        _anonymous = new CallerIdentity(CallerIdentity.AnonymousName, GatewayRole.User, new TokenBucket(o.AnonymousPermitsPerSecond, o.AnonymousBurst, time));
        _keys = new(o.Keys.Select(k => (k.Key, k.KeySha256, new CallerIdentity(k.Name, k.Role, new TokenBucket(k.PermitsPerSecond, k.Burst, time)))));
    }

    /// <summary>
    /// Returns the caller of <paramref name="method"/> (the last segment of the gRPC method path), or throws
    /// UnauthenticatedException, PermissionDeniedException, or a RESOURCE_EXHAUSTED RpcException carrying a RetryInfo.
    /// </summary>
    public CallerIdentity Authorize(string method, Metadata headers)
    {
        var caller = Identify(method, headers);
        var required = Required.GetValueOrDefault(method, GatewayRole.Admin);
        if (caller.Role < required)
        {
            throw new PermissionDeniedException(
                $"{method} needs the {Lower(required)} role; key \"{caller.Name}\" has {Lower(caller.Role)}.");
        }
        if (!caller.Bucket.TryAcquire(out var retryAfter))
        {
            throw RateLimited(caller.Name, retryAfter);
        }
        return caller;
    }

    private CallerIdentity Identify(string method, Metadata headers)
    {
        var key = ApiKeys.Read(headers);
        if (key is null)
        {
            return _keyRequired
                ? throw new UnauthenticatedException($"{method} needs an API key: send \"authorization: Bearer KEY\" or \"x-api-key: KEY\".")
                : _anonymous;
        }
        return _keys.TryFind(key, out var caller)
            ? caller
            : throw new UnauthenticatedException("The API key is not known to this gateway.");
    }

    // RESOURCE_EXHAUSTED with google.rpc.RetryInfo, so clients can back off exactly as long as needed.
    private static RpcException RateLimited(string name, TimeSpan retryAfter)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = string.Create(CultureInfo.InvariantCulture,
                $"Rate limit of \"{name}\" exceeded; retry after {retryAfter.TotalSeconds:0.###} s."),
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }) },
        };
        return status.ToRpcException();
    }

    private static string Lower(GatewayRole role) => role.ToString().ToLowerInvariant();
}
