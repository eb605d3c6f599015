using S3Router.Core.Audio;
using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

/// <summary>File helpers and checks shared by the corpus builder tests (espeak synth and Asterisk prompts).</summary>
internal static class CorpusChecks
{
    /// <summary>Every row's WAV is 16 kHz mono 16-bit, holds the row's sample count and lasts within the bounds.</summary>
    public static void AssertWavsMatchRows(Manifest manifest, double minSeconds, double maxSeconds)
    {
        foreach (var (path, samples) in manifest.Rows)
        {
            var wav = WavReader.Read(File.ReadAllBytes(Path.Combine(manifest.Root, path)));
            Assert.Equal((16_000, 1, 16), (wav.SampleRateHertz, wav.ChannelCount, wav.BitsPerSample));
            Assert.Equal(samples, wav.Samples.Length);
            Assert.InRange(wav.Duration.TotalSeconds, minSeconds, maxSeconds);
        }
    }

    /// <summary>Every row's letters spell its words, use only the dictionary's symbols, and the words are normalized.</summary>
    public static void AssertTranscriptsRoundTrip(Manifest manifest, IReadOnlySet<string> dictionary, LanguageProfile language)
    {
        for (var i = 0; i < manifest.Rows.Count; i++)
        {
            Assert.Equal(manifest.Words[i].Split(' '), TextNormalizer.FromLetters(manifest.Letters[i]));
            Assert.All(manifest.Letters[i].Split(' '), symbol => Assert.Contains(symbol, dictionary));
            Assert.Equal(manifest.Words[i].Split(' '), TextNormalizer.Normalize(manifest.Words[i], language));
        }
    }

    /// <summary>Both corpora hold the same files with the same bytes (the .tsv root line aside).</summary>
    public static void AssertSameFiles(string expectedRoot, string actualRoot)
    {
        var first = Snapshot(expectedRoot);
        var second = Snapshot(actualRoot);
        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        foreach (var (name, content) in first)
        {
            Assert.True(content.SequenceEqual(second[name]), $"{name} differs between two builds with one seed");
        }
    }

    public static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>
    /// Deletes the first <paramref name="count"/> WAVs (by name) and leaves a temp file beside the first, as a crash
    /// mid-write does; returns their paths and bytes.
    /// </summary>
    public static (IReadOnlyList<string> Wavs, IReadOnlyDictionary<string, byte[]> Originals) DeleteFirstWavs(string wavDirectory, int count)
    {
        var wavs = Directory.GetFiles(wavDirectory).Order(StringComparer.Ordinal).Take(count).ToList();
        var originals = wavs.ToDictionary(w => w, File.ReadAllBytes);
        wavs.ForEach(File.Delete);
        File.WriteAllBytes(wavs[0] + ".tmp", [1, 2, 3]);
        return (wavs, originals);
    }

    /// <summary>The build remade exactly the deleted WAVs, byte for byte, reused the rest and removed the temp file.</summary>
    public static void AssertRebuiltExactly(CorpusProgress progress, (IReadOnlyList<string> Wavs, IReadOnlyDictionary<string, byte[]> Originals) deleted)
    {
        var (wavs, originals) = deleted;
        Assert.Equal(wavs.Count, progress.Synthesized);
        Assert.Equal(progress.Total - wavs.Count, progress.Reused);
        Assert.All(wavs, w => Assert.Equal(originals[w], File.ReadAllBytes(w)));
        Assert.False(File.Exists(wavs[0] + ".tmp"));
    }

    /// <summary>Every manifest and WAV by path relative to the corpus root; the .tsv root line is left out.</summary>
    private static Dictionary<string, byte[]> Snapshot(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f),
            f => f.EndsWith(".tsv", StringComparison.Ordinal)
                ? System.Text.Encoding.UTF8.GetBytes(string.Join('\n', File.ReadAllLines(f).Skip(1)))
                : File.ReadAllBytes(f));
}
