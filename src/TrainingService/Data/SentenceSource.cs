namespace S3Router.TrainingService.Data;

/// <summary>A language's usable sentences: fortunes, split, normalized, filtered by length, deduplicated, sorted.</summary>
internal static class SentenceSource
{
    // Parsing a language's fortunes takes seconds; plans made in one process (tests, resumed builds) share them.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string, int, int), IReadOnlyList<string[]>> s_cache = new();

    public static IReadOnlyList<string[]> Load(CorpusOptions options, LanguageProfile language) =>
        s_cache.GetOrAdd((Path.GetFullPath(options.FortunesDirectory), language.Code, options.MinWords, options.MaxWords),
            _ => Read(options, language));

    private static IReadOnlyList<string[]> Read(CorpusOptions options, LanguageProfile language)
    {
        var files = FortuneText.Files(options.FortunesDirectory, language.FortuneSources);
        var seen = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var sentence in FortuneText.Sentences(file))
            {
                var words = TextNormalizer.Normalize(sentence, language);
                if (words is not null && words.Length >= options.MinWords && words.Length <= options.MaxWords)
                {
                    seen.TryAdd(string.Join(' ', words), words);
                }
            }
        }
        return [.. seen.Values];
    }

    /// <summary>Speech length guessed from text at espeak-ng's default rate: about 14 characters a second.</summary>
    public static double EstimateSeconds(IReadOnlyList<string> words) =>
        0.4 + ((words.Sum(w => w.Length) + words.Count - 1) / 14.0);
}
