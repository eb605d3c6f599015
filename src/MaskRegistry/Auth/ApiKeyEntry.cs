namespace S3Router.MaskRegistry.Auth;

/// <summary>One API key: who it is and what it may do. Give either the key itself or its sha256.</summary>
public sealed class ApiKeyEntry
{
    /// <summary>The caller's name, recorded as creator of what it publishes. Required.</summary>
    public string Name { get; set; } = "";

    /// <summary>The secret key as sent by clients. Default: none (then <see cref="KeySha256"/> is required).</summary>
    public string? Key { get; set; }

    /// <summary>Lowercase hex sha256 of the key, so the secret itself need not sit in configuration. Default: none.</summary>
    public string? KeySha256 { get; set; }

    /// <summary>What the key may do. Default: Reader.</summary>
    public RegistryRole Role { get; set; } = RegistryRole.Reader;
}
