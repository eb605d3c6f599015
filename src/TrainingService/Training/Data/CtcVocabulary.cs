using System.Globalization;

namespace S3Router.TrainingService.Training.Data;

/// <summary>
/// The CTC label set of docs/formats.md: index 0 <c>&lt;blank&gt;</c>, <c>|</c> the word boundary, then one entry per
/// character. Built from fairseq's <c>dict.ltr.txt</c> (token, count per line; order kept) when present, else
/// from the training labels (<c>|</c> first, then characters by descending count, ties in ordinal order).
/// </summary>
internal sealed class CtcVocabulary
{
    public const string BlankLabel = "<blank>";
    public const string WordBoundary = "|";

    private readonly Dictionary<string, int> _index;

    public CtcVocabulary(IReadOnlyList<string> labels)
    {
        Labels = labels;
        _index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
    }

    /// <summary>All labels in index order, blank first.</summary>
    public IReadOnlyList<string> Labels { get; }

    public int Count => Labels.Count;

    public static CtcVocabulary FromDictionary(string path)
    {
        var labels = new List<string> { BlankLabel, WordBoundary };
        foreach (var line in File.ReadLines(path))
        {
            var token = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (token is null || labels.Contains(token, StringComparer.Ordinal) || IsFairseqSpecial(token))
            {
                continue;
            }

            labels.Add(token);
        }

        return new CtcVocabulary(labels);
    }

    public static CtcVocabulary FromTranscripts(IEnumerable<IReadOnlyList<string>> transcripts)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var token in transcripts.SelectMany(t => t).Where(t => t != WordBoundary))
        {
            counts[token] = counts.GetValueOrDefault(token) + 1;
        }

        var characters = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Key);
        return new CtcVocabulary([BlankLabel, WordBoundary, .. characters]);
    }

    /// <summary>Letter tokens of a label line: <c>.ltr</c> lines are already tokens; <c>.wrd</c> lines are split into characters with <c>|</c> after each word.</summary>
    public static IReadOnlyList<string> Tokenize(string labelLine, bool isWordLabels)
    {
        if (!isWordLabels)
        {
            return labelLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }

        var tokens = new List<string>();
        foreach (var word in labelLine.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var elements = StringInfo.GetTextElementEnumerator(word);
            while (elements.MoveNext())
            {
                tokens.Add(elements.GetTextElement());
            }

            tokens.Add(WordBoundary);
        }

        return tokens;
    }

    /// <summary>Label indices of the tokens; tokens outside the vocabulary are dropped and counted in <paramref name="unknown"/>.</summary>
    public long[] Encode(IReadOnlyList<string> tokens, out int unknown)
    {
        var result = new List<long>(tokens.Count);
        unknown = 0;
        foreach (var token in tokens)
        {
            if (_index.TryGetValue(token, out var index) && index != 0)
            {
                result.Add(index);
            }
            else
            {
                unknown++;
            }
        }

        return [.. result];
    }

    private static bool IsFairseqSpecial(string token) => token is "<s>" or "<pad>" or "</s>" or "<unk>" or BlankLabel;
}
