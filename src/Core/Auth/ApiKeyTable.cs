using System.Diagnostics.CodeAnalysis;

namespace S3Router.Core.Auth;

/// <summary>
/// The configured API keys of a service, held by their sha256 so the secrets themselves are not kept in memory.
/// Lookups hash the presented key first: the dictionary compares fixed-length hashes, so its timing tells an
/// attacker nothing useful about any secret.
/// </summary>
/// <typeparam name="T">What a key stands for (its name and role).</typeparam>
public sealed class ApiKeyTable<T>
{
    private readonly Dictionary<string, T> _byHash;

    /// <summary>
    /// Builds the table from entries that give either the key or its hex sha256 (any case).
    /// Throws <see cref="ArgumentException"/> when two entries are the same key.
    /// </summary>
    public ApiKeyTable(IEnumerable<(string? Key, string? KeySha256, T Value)> entries)
    {
        _byHash = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (key, keySha256, value) in entries)
        {
            var hash = string.IsNullOrEmpty(keySha256)
                ? ApiKeys.Sha256Hex(key ?? throw new ArgumentException("An API key entry needs a key or its sha256.", nameof(entries)))
                : keySha256.ToLowerInvariant();
            if (!_byHash.TryAdd(hash, value))
            {
                throw new ArgumentException("Two API key entries have the same key.", nameof(entries));
            }
        }
    }

    /// <summary>Number of keys.</summary>
    public int Count => _byHash.Count;

    /// <summary>Finds what the presented <paramref name="key"/> stands for.</summary>
    public bool TryFind(string key, [MaybeNullWhen(false)] out T value) => _byHash.TryGetValue(ApiKeys.Sha256Hex(key), out value);
}
