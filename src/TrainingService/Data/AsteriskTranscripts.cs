using System.IO.Compression;
using System.Text;

namespace S3Router.TrainingService.Data;

/// <summary>
/// Reads the transcript lists of Debian's <c>asterisk-core-sounds-&lt;lang&gt;</c> packages
/// (<c>/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz</c>): comment lines start with <c>;</c>, every
/// other non-blank line is <c>name: transcript</c>, and the transcript may be empty.
/// </summary>
internal static class AsteriskTranscripts
{
    /// <summary>The file's text: gunzipped when it ends in <c>.gz</c>, UTF-8 with or without a BOM.</summary>
    public static string ReadFile(string path)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>The entries in file order; a name listed twice keeps its first line.</summary>
    public static IReadOnlyList<AsteriskTranscript> Parse(string content)
    {
        var entries = new List<AsteriskTranscript>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in content.Split('\n'))
        {
            var line = raw.Trim().TrimStart('\uFEFF');
            if (line.Length == 0 || line[0] == ';')
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            // A name is a path without spaces; a line that is not "name:" is prose, not an entry.
            if (colon <= 0 || line.AsSpan(0, colon).ContainsAny(' ', '\t'))
            {
                continue;
            }
            var name = line[..colon];
            if (seen.Add(name))
            {
                entries.Add(new AsteriskTranscript(name, line[(colon + 1)..].Trim()));
            }
        }
        return entries;
    }

    /// <summary>The transcript's words in the language's vocabulary, or why there are none.</summary>
    public static (string[]? Words, AsteriskDropReason? Reason) Classify(string text, LanguageProfile language)
    {
        if (text.Length == 0)
        {
            return (null, AsteriskDropReason.Empty);
        }
        if (IsPlaceholder(text))
        {
            return (null, AsteriskDropReason.Placeholder);
        }
        if (IsCorrupt(text))
        {
            return (null, AsteriskDropReason.Corrupt);
        }
        var words = TextNormalizer.Normalize(text, language);
        return words is null ? (null, AsteriskDropReason.OutOfVocabulary) : (words, null);
    }

    /// <summary>A description of a sound rather than words: the whole text in brackets or parentheses.</summary>
    public static bool IsPlaceholder(string text) =>
        text.Length >= 2 && ((text[0] == '[' && text[^1] == ']') || (text[0] == '(' && text[^1] == ')') || (text[0] == '<' && text[^1] == '>'));

    /// <summary>A replacement character, or a <c>?</c> followed by more of the sentence in lowercase: a question ends
    /// a sentence, so that <c>?</c> stands for a letter the file lost (<c>sar? esattamente</c>, <c>conferenza ? piena</c>).</summary>
    public static bool IsCorrupt(string text)
    {
        if (text.Contains('\uFFFD', StringComparison.Ordinal))
        {
            return true;
        }
        for (var i = text.IndexOf('?', StringComparison.Ordinal); i >= 0; i = text.IndexOf('?', i + 1))
        {
            var next = i + 1;
            while (next < text.Length && text[next] == ' ')
            {
                next++;
            }
            if (next < text.Length && char.IsLower(text[next]))
            {
                return true;
            }
        }
        return false;
    }
}
