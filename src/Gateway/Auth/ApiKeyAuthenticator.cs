using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Options;
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

    private readonly Dictionary<string, CallerIdentity> _byHash;
    private readonly CallerIdentity _anonymous;
    private readonly bool _keyRequired;

    public ApiKeyAuthenticator(IOptions<GatewayAuthOptions> options, TimeProvider time)
    {
        var o = options.Value;
        _keyRequired = o.KeyRequired;
        _anonymous = new CallerIdentity(CallerIdentity.AnonymousName, GatewayRole.User, new TokenBucket(o.AnonymousPermitsPerSecond, o.AnonymousBurst, time));
        _byHash = o.Keys.ToDictionary(
            k => string.IsNullOrEmpty(k.KeySha256) ? Hash(k.Key!) : k.KeySha256.ToLowerInvariant(),
            k => new CallerIdentity(k.Name, k.Role, new TokenBucket(k.PermitsPerSecond, k.Burst, time)),
            StringComparer.Ordinal);
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
        var key = KeyOf(headers);
        if (key is null)
        {
            return _keyRequired
                ? throw new UnauthenticatedException($"{method} needs an API key: send \"authorization: Bearer KEY\" or \"x-api-key: KEY\".")
                : _anonymous;
        }
        return _byHash.TryGetValue(Hash(key), out var caller)
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

    private static string? KeyOf(Metadata headers)
    {
        var authorization = headers.GetValue("authorization");
        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization["Bearer ".Length..].Trim();
            return token.Length > 0 ? token : null;
        }
        var apiKey = headers.GetValue("x-api-key")?.Trim();
        return string.IsNullOrEmpty(apiKey) ? null : apiKey;
    }

    private static string Lower(GatewayRole role) => role.ToString().ToLowerInvariant();

    // Fixed-length hashes as dictionary keys: lookups leak nothing useful about the secrets.
    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
