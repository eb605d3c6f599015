namespace S3Router.Gateway.Auth;

/// <summary>
/// API keys and rate limits of the gateway, bound from <c>Gateway:Auth</c> (env: <c>Gateway__Auth__Keys__0__Name</c>, ...).
/// Keys travel in <c>authorization: Bearer KEY</c> or <c>x-api-key: KEY</c>.
/// </summary>
public sealed class GatewayAuthOptions
{
    public const string SectionName = "Gateway:Auth";

    /// <summary>The accepted keys. Default: none.</summary>
    public List<GatewayApiKey> Keys { get; set; } = [];

    /// <summary>
    /// Refuse calls without a key (<c>UNAUTHENTICATED</c>). Default: true when <see cref="Keys"/> is not empty, false
    /// when it is (the embedded default: anyone may call with the User role). A key that is sent is always checked.
    /// </summary>
    public bool? RequireApiKey { get; set; }

    /// <summary>Calls per second shared by all callers without a key; 0 means no limit. Default: 0.</summary>
    public double AnonymousPermitsPerSecond { get; set; }

    /// <summary>Token bucket size for callers without a key. Default: 100.</summary>
    public int AnonymousBurst { get; set; } = 100;

    /// <summary>Whether calls without a key are refused, after applying the default.</summary>
    public bool KeyRequired => RequireApiKey ?? Keys.Count > 0;

    /// <summary>True when every key has a name, a known role, exactly one of a key or a 64-hex sha256, and sane limits.</summary>
    public bool IsValid() =>
        AnonymousPermitsPerSecond >= 0 && AnonymousBurst >= 1
        && Keys.All(k =>
            !string.IsNullOrWhiteSpace(k.Name)
            && Enum.IsDefined(k.Role)
            && k.PermitsPerSecond >= 0 && k.Burst >= 1
            && (string.IsNullOrEmpty(k.Key) != string.IsNullOrEmpty(k.KeySha256))
            && (string.IsNullOrEmpty(k.KeySha256) || (k.KeySha256.Length == 64 && k.KeySha256.All(Uri.IsHexDigit))));
}
