using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using S3Router.Core.Auth;
using S3Router.Core.Errors;
using S3Router.MaskRegistry.Telemetry;

namespace S3Router.MaskRegistry.Auth;

/// <summary>
/// The one place that decides who may call what on the MaskRegistry service: reads the API key, finds its role and
/// compares it with the method's requirement. Methods not in the table need admin (deny by default).
/// </summary>
internal sealed class ApiKeyInterceptor : AuthorizingInterceptor
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

    private readonly ApiKeyTable<ApiKeyEntry> _keys;
    private readonly bool _enabled;
    private readonly bool _anonymousRead;
    private readonly ILogger<ApiKeyInterceptor> _logger;

    public ApiKeyInterceptor(IOptions<RegistryAuthOptions> options, ILogger<ApiKeyInterceptor> logger)
    {
        _logger = logger;
        _enabled = options.Value.Keys.Count > 0;
        _anonymousRead = options.Value.AllowAnonymousRead;
        _keys = new(options.Value.Keys.Select(k => (k.Key, k.KeySha256, k)));
    }

    protected override void Authorize(ServerCallContext context)
    {
        if (!_enabled)
        {
            CallerContext.Set(context, CallerContext.Anonymous);
            return;
        }
        var method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        var required = Required.GetValueOrDefault(method, RegistryRole.Admin);
        var key = ApiKeys.Read(context.RequestHeaders);
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
        if (!_keys.TryFind(key, out var entry))
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
}
