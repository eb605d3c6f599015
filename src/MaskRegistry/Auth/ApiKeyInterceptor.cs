using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using S3Router.Core.Errors;
using S3Router.MaskRegistry.Telemetry;

namespace S3Router.MaskRegistry.Auth;

/// <summary>
/// The one place that decides who may call what on the MaskRegistry service: reads the API key, finds its role and
/// compares it with the method's requirement. Methods not in the table need admin (deny by default).
/// </summary>
internal sealed class ApiKeyInterceptor : Interceptor
{
    private static readonly Dictionary<string, RegistryRole> Required = new(StringComparer.Ordinal)
    {
        ["RegisterBackbone"] = RegistryRole.Admin,
        ["GetBackbone"] = RegistryRole.Reader,
        ["ListBackbones"] = RegistryRole.Reader,
        ["PublishMask"] = RegistryRole.Publisher,
        ["DownloadMask"] = RegistryRole.Reader,
        ["ResolveMask"] = RegistryRole.Reader,
        ["ListMaskRoutes"] = RegistryRole.Reader,
        ["ListMaskVersions"] = RegistryRole.Reader,
        ["SetAlias"] = RegistryRole.Publisher,
        ["DeleteAlias"] = RegistryRole.Publisher,
        ["YankMaskVersion"] = RegistryRole.Publisher,
        ["WatchMasks"] = RegistryRole.Reader,
        ["AnalyzeMaskSimilarity"] = RegistryRole.Reader,
    };

    private readonly Dictionary<string, ApiKeyEntry> _byHash;
    private readonly bool _enabled;
    private readonly bool _anonymousRead;
    private readonly ILogger<ApiKeyInterceptor> _logger;

    public ApiKeyInterceptor(IOptions<RegistryAuthOptions> options, ILogger<ApiKeyInterceptor> logger)
    {
        _logger = logger;
        _enabled = options.Value.Keys.Count > 0;
        _anonymousRead = options.Value.AllowAnonymousRead;
        _byHash = options.Value.Keys.ToDictionary(
            k => string.IsNullOrEmpty(k.KeySha256) ? Hash(k.Key!) : k.KeySha256.ToLowerInvariant(), StringComparer.Ordinal);
    }

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
        if (!_enabled)
        {
            CallerContext.Set(context, CallerContext.Anonymous);
            return;
        }
        var method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        var required = Required.GetValueOrDefault(method, RegistryRole.Admin);
        var key = KeyOf(context.RequestHeaders);
        if (key is null)
        {
            if (_anonymousRead && required == RegistryRole.Reader)
            {
                CallerContext.Set(context, CallerContext.Anonymous);
                return;
            }
            Log.AuthRejected(_logger, method, "no key");
            throw new UnauthenticatedException($"{method} needs an API key: send \"authorization: Bearer KEY\" or \"x-api-key: KEY\" (s3r --api-key or S3R_API_KEY).");
        }
        if (!_byHash.TryGetValue(Hash(key), out var entry))
        {
            Log.AuthRejected(_logger, method, "unknown key");
            throw new UnauthenticatedException("The API key is not known to this registry.");
        }
        if (entry.Role < required)
        {
            Log.AuthRejected(_logger, method, $"role {entry.Role} of {entry.Name}");
            throw new PermissionDeniedException($"{method} needs the {required.ToString().ToLowerInvariant()} role; key \"{entry.Name}\" has {entry.Role.ToString().ToLowerInvariant()}.");
        }
        CallerContext.Set(context, entry.Name);
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

    // Comparing fixed-length hashes in a dictionary leaks nothing useful about the secret keys.
    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
