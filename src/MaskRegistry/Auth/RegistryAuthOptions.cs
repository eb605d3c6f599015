namespace S3Router.MaskRegistry.Auth;

/// <summary>
/// API keys of the registry, bound from <c>MaskRegistry:Auth</c> (env: <c>MaskRegistry__Auth__Keys__0__Name</c>, ...).
/// With no key configured, auth is off entirely (the embedded default): every caller is "anonymous" with all rights.
/// Keys travel in <c>authorization: Bearer KEY</c> or <c>x-api-key: KEY</c>.
/// </summary>
public sealed class RegistryAuthOptions
{
    public const string SectionName = "MaskRegistry:Auth";

    /// <summary>The accepted keys. Default: none (auth off).</summary>
    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>When keys are configured, let callers without a key read (resolve, list, download, watch). Default: false.</summary>
    public bool AllowAnonymousRead { get; set; }

    /// <summary>True when every entry has a name and exactly one of a key or a 64-hex sha256.</summary>
    public bool IsValid() => Keys.All(k =>
        !string.IsNullOrWhiteSpace(k.Name)
        && Enum.IsDefined(k.Role)
        && (string.IsNullOrEmpty(k.Key) != string.IsNullOrEmpty(k.KeySha256))
        && (k.KeySha256 is null or "" || (k.KeySha256.Length == 64 && k.KeySha256.All(Uri.IsHexDigit))));
}
