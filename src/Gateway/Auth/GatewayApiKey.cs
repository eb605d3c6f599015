using System.ComponentModel.DataAnnotations;

namespace S3Router.Gateway.Auth;

/// <summary>One API key of the gateway: who it is, what it may call, and how fast. Give either the key or its sha256.</summary>
public sealed class GatewayApiKey
{
    /// <summary>The caller's name, used in logs (never the key). Required.</summary>
    public string Name { get; set; } = "";

    /// <summary>The secret key as sent by clients. Default: none (then <see cref="KeySha256"/> is required).</summary>
    public string? Key { get; set; }

    /// <summary>Lowercase hex sha256 of the key, so the secret itself need not sit in configuration. Default: none.</summary>
    public string? KeySha256 { get; set; }

    /// <summary>What the key may call. Default: User.</summary>
    public GatewayRole Role { get; set; } = GatewayRole.User;

    /// <summary>Sustained calls per second (token bucket refill rate); 0 means no limit. Default: 50; 0 to 100000.</summary>
    [Range(0.0, 100_000.0)]
    public double PermitsPerSecond { get; set; } = 50;

    /// <summary>Calls that may arrive at once after an idle period (token bucket size). Default: 100; 1 to 1000000.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 100;
}
