using S3Router.Core.Errors;

namespace S3Router.Core.Analysis;

/// <summary>
/// Language similarity as phoneme-inventory overlap: each language's sample text is phonemized with espeak-ng,
/// split into segments, and two languages compare by the Jaccard index of their segment sets. A coarse, parallel-text-free
/// stand-in for phonetic similarity, to correlate with mask similarity.
/// </summary>
public static class LanguageSimilarity
{
    /// <summary>Jaccard index |A∩B| / |A∪B| of two sets; 1 when both are empty.</summary>
    public static double Jaccard(IReadOnlySet<string> a, IReadOnlySet<string> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var intersection = a.Count(b.Contains);
        var union = a.Count + b.Count - intersection;
        return union == 0 ? 1.0 : (double)intersection / union;
    }

    /// <summary>The [languages × languages] Jaccard matrix of the given inventories.</summary>
    /// <exception cref="InvalidInputException">The lists differ in length or are empty.</exception>
    public static SimilarityMatrix FromInventories(IReadOnlyList<string> languages, IReadOnlyList<IReadOnlySet<string>> inventories)
    {
        ArgumentNullException.ThrowIfNull(languages);
        ArgumentNullException.ThrowIfNull(inventories);
        if (languages.Count == 0 || languages.Count != inventories.Count)
        {
            throw new InvalidInputException($"need one inventory per language, got {inventories.Count} for {languages.Count} languages", "languages");
        }

        var n = languages.Count;
        var values = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i; j < n; j++)
            {
                values[i * n + j] = values[j * n + i] = Jaccard(inventories[i], inventories[j]);
            }
        }

        return new SimilarityMatrix(languages, values);
    }

    /// <summary>Phonemizes each language's built-in sample (<see cref="PhonemeSamples"/>) and returns the inventories.</summary>
    /// <exception cref="InvalidInputException">No language, a duplicate, or one without a sample or espeak-ng voice.</exception>
    public static async Task<IReadOnlyList<IReadOnlySet<string>>> InventoriesAsync(
        IReadOnlyList<string> languages, EspeakPhonemizer phonemizer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(languages);
        ArgumentNullException.ThrowIfNull(phonemizer);
        if (languages.Count == 0)
        {
            throw new InvalidInputException("name at least one language", "languages");
        }
        if (languages.Distinct(StringComparer.OrdinalIgnoreCase).Count() != languages.Count)
        {
            throw new InvalidInputException($"languages repeat: {string.Join(", ", languages)}", "languages");
        }

        var inventories = new List<IReadOnlySet<string>>();
        foreach (var language in languages)
        {
            var text = PhonemeSamples.For(language);
            var ipa = await phonemizer.PhonemizeAsync(language.ToLowerInvariant(), text, cancellationToken);
            inventories.Add(IpaSegmenter.Inventory(ipa));
        }

        return inventories;
    }
}
