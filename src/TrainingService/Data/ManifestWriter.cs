using System.Globalization;
using System.Text;

namespace S3Router.TrainingService.Data;

/// <summary>
/// Writes fairseq manifests: <c>.tsv</c> (root folder, then <c>path\tsamples</c>), <c>.ltr</c> (letters with
/// <c>|</c> after each word), <c>.wrd</c> (words), <c>.label</c> (one class per line), plus <c>labels.txt</c> and
/// <c>dict.ltr.txt</c>. Files are UTF-8 without BOM with \n line ends, written to a temp file and renamed.
/// </summary>
internal static class ManifestWriter
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static ManifestSummary WriteSplit(ManifestSplit split, IReadOnlyList<(CorpusItem Item, int Samples)> rows) =>
        WriteSplit(split.Directory, split.Name, split.Labeled,
            [.. rows.Select(r => new ManifestRow(r.Item.RelativePath, r.Item.Words, r.Item.Label, r.Samples))]);

    /// <summary>Writes <c>&lt;name&gt;.tsv/.ltr/.wrd</c> (and <c>.label</c> when <paramref name="labeled"/>) in
    /// <paramref name="directory"/>, rows in the order given.</summary>
    public static ManifestSummary WriteSplit(string directory, string name, bool labeled, IReadOnlyList<ManifestRow> rows)
    {
        var tsv = new StringBuilder().Append(Path.GetFullPath(directory)).Append('\n');
        var ltr = new StringBuilder();
        var wrd = new StringBuilder();
        var label = new StringBuilder();
        long samples = 0;
        foreach (var row in rows)
        {
            tsv.Append(row.RelativePath).Append('\t').Append(row.Samples.ToString(CultureInfo.InvariantCulture)).Append('\n');
            ltr.Append(TextNormalizer.ToLetters(row.Words)).Append('\n');
            wrd.Append(string.Join(' ', row.Words)).Append('\n');
            label.Append(row.Label).Append('\n');
            samples += row.Samples;
        }
        var stem = Path.Combine(directory, name);
        Write(stem + ".tsv", tsv.ToString());
        Write(stem + ".ltr", ltr.ToString());
        Write(stem + ".wrd", wrd.ToString());
        if (labeled)
        {
            Write(stem + ".label", label.ToString());
        }
        return new ManifestSummary(stem + ".tsv", rows.Count,
            TimeSpan.FromSeconds((double)samples / Core.Audio.AudioDecoder.TargetSampleRateHertz));
    }

    /// <summary>One class name per line, sorted ordinally; the line number is the class index.</summary>
    public static void WriteLabels(string directory, IEnumerable<string> labels) =>
        Write(Path.Combine(directory, "labels.txt"),
            string.Concat(labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(l => l + "\n")));

    /// <summary>fairseq's dictionary: "&lt;symbol&gt; &lt;count&gt;" lines, most frequent first, ties by symbol. Every
    /// letter of the alphabet is listed (count 0 if unseen), so the vocabulary is the language's, not the sample's.</summary>
    public static void WriteLetterDictionary(string directory, string alphabet, IEnumerable<IReadOnlyList<string>> trainingWords)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal) { ["|"] = 0 };
        foreach (var c in alphabet)
        {
            counts[c.ToString()] = 0;
        }
        foreach (var words in trainingWords)
        {
            foreach (var word in words)
            {
                foreach (var c in word)
                {
                    var key = c.ToString();
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                }
                counts["|"]++;
            }
        }
        var lines = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key} {kv.Value.ToString(CultureInfo.InvariantCulture)}\n");
        Write(Path.Combine(directory, "dict.ltr.txt"), string.Concat(lines));
    }

    private static void Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, content, s_utf8);
        File.Move(temp, path, overwrite: true);
    }
}
