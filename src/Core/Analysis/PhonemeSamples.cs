using System.Text.Json;
using S3Router.Core.Errors;

namespace S3Router.Core.Analysis;

/// <summary>
/// Built-in sample text per language (the same short passage translated), phonemized to build phoneme inventories.
/// Keys are espeak-ng voice names (<c>en</c>, <c>de</c>, ...); a language tag matches by its primary subtag.
/// </summary>
public static class PhonemeSamples
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Samples = new(Load);

    /// <summary>The languages with a built-in sample, sorted.</summary>
    public static IReadOnlyList<string> Languages => [.. Samples.Value.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The sample text of <paramref name="language"/> (exact key, else its primary subtag: <c>de-DE</c> → <c>de</c>).</summary>
    /// <exception cref="InvalidInputException">No sample for that language; the message lists the ones there are.</exception>
    public static string For(string language)
    {
        ArgumentNullException.ThrowIfNull(language);
        var key = language.ToLowerInvariant();
        if (Samples.Value.TryGetValue(key, out var text) || Samples.Value.TryGetValue(key.Split('-', '_')[0], out text))
        {
            return text;
        }

        throw new InvalidInputException(
            $"no built-in sample text for language '{language}'; available: {string.Join(", ", Languages)}", "languages");
    }

    private static IReadOnlyDictionary<string, string> Load()
    {
        using var stream = typeof(PhonemeSamples).Assembly.GetManifestResourceStream("S3Router.Core.Analysis.PhonemeSamples.json")
            ?? throw new InvalidOperationException("the PhonemeSamples.json resource is missing from S3Router.Core");
        var all = JsonSerializer.Deserialize<Dictionary<string, string>>(stream) ?? [];
        return all.Where(kv => !kv.Key.StartsWith('_')).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }
}
