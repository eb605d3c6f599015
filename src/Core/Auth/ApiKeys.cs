using System.Security.Cryptography;
using System.Text;
using Grpc.Core;

namespace S3Router.Core.Auth;

/// <summary>
/// How API keys travel and are stored: clients send <c>authorization: Bearer KEY</c> or <c>x-api-key: KEY</c>;
/// services keep only the lowercase hex sha256 of each key (configured as the key or as its hash).
/// </summary>
public static class ApiKeys
{
    /// <summary>The header that carries <c>Bearer KEY</c>.</summary>
    public const string AuthorizationHeader = "authorization";

    /// <summary>The header that carries the bare key.</summary>
    public const string ApiKeyHeader = "x-api-key";

    private const string BearerPrefix = "Bearer ";

    /// <summary>
    /// The key of a call, trimmed: from <c>authorization: Bearer KEY</c> (scheme case-insensitive) when that header
    /// carries a bearer token, else from <c>x-api-key</c>; null when neither holds a non-empty key.
    /// </summary>
    public static string? Read(Metadata headers)
    {
        var authorization = headers.GetValue(AuthorizationHeader);
        if (authorization is not null && authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization[BearerPrefix.Length..].Trim();
            return token.Length > 0 ? token : null;
        }
        var apiKey = headers.GetValue(ApiKeyHeader)?.Trim();
        return string.IsNullOrEmpty(apiKey) ? null : apiKey;
    }

    /// <summary>Lowercase hex sha256 of the UTF-8 bytes of <paramref name="key"/> (64 characters).</summary>
    public static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
