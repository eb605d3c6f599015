using System.Text;
using System.Text.RegularExpressions;

namespace S3Router.TrainingService.Data;

/// <summary>
/// Reads fortune files (entries separated by lines holding only <c>%</c>) and splits the entries into sentences.
/// Attribution lines (<c>-- Author</c>) and indented verse or ASCII art are dropped.
/// </summary>
internal static partial class FortuneText
{
    /// <summary>Every file under the given sources (files or folders below <paramref name="root"/>), sorted ordinally;
    /// index files (<c>.dat</c>), their UTF-8 twins (<c>.u8</c>, symlinks) and offensive sections are skipped.</summary>
    public static IReadOnlyList<string> Files(string root, IEnumerable<string> sources)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var path = Path.Combine(root, source);
            if (File.Exists(path))
            {
                files.Add(path);
            }
            else if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.TopDirectoryOnly))
                {
                    var info = new FileInfo(file);
                    if (info.LinkTarget is null && !file.EndsWith(".dat", StringComparison.Ordinal)
                        && !file.EndsWith(".u8", StringComparison.Ordinal) && info.Length > 0)
                    {
                        files.Add(file);
                    }
                }
            }
        }
        return [.. files];
    }

    /// <summary>The sentences of one fortune file, in file order.</summary>
    public static IEnumerable<string> Sentences(string file)
    {
        var text = File.ReadAllText(file, Encoding.UTF8).Replace("\r", "", StringComparison.Ordinal);
        var entry = new StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            if (line.Trim() == "%")
            {
                foreach (var s in SplitEntry(entry.ToString()))
                {
                    yield return s;
                }
                entry.Clear();
                continue;
            }
            var trimmed = line.Trim();
            // Attributions, and tab/space-indented lines (verse, code, signatures, ASCII art).
            if (trimmed.StartsWith("--", StringComparison.Ordinal) || trimmed.StartsWith('—')
                || line.StartsWith('\t') || line.StartsWith("    ", StringComparison.Ordinal))
            {
                continue;
            }
            entry.Append(trimmed).Append(' ');
        }
        foreach (var s in SplitEntry(entry.ToString()))
        {
            yield return s;
        }
    }

    /// <summary>Splits at . ! ? … followed by a space (or the end), keeping the mark with its sentence.</summary>
    public static IEnumerable<string> SplitEntry(string entry)
    {
        foreach (var part in SentenceEnd().Split(entry))
        {
            var sentence = WhiteSpace().Replace(part, " ").Trim();
            if (sentence.Length > 0)
            {
                yield return sentence;
            }
        }
    }

    [GeneratedRegex(@"(?<=[.!?…])[""”»)]?\s+")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
