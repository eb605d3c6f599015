namespace S3Router.TrainingService.Tests.Data;

/// <summary>A parsed fairseq split: root, rows and the parallel .ltr/.wrd/.label lines.</summary>
internal sealed record Manifest(string Root, IReadOnlyList<(string Path, int Samples)> Rows,
    IReadOnlyList<string> Letters, IReadOnlyList<string> Words, IReadOnlyList<string>? Labels)
{
    public static Manifest Read(string directory, string split)
    {
        var stem = Path.Combine(directory, split);
        var tsv = File.ReadAllLines(stem + ".tsv");
        var rows = tsv.Skip(1).Select(line =>
        {
            var parts = line.Split('\t');
            Assert.Equal(2, parts.Length);
            return (parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();
        var labels = File.Exists(stem + ".label") ? File.ReadAllLines(stem + ".label") : null;
        return new Manifest(tsv[0], rows, File.ReadAllLines(stem + ".ltr"), File.ReadAllLines(stem + ".wrd"), labels);
    }

    /// <summary>The voice tag in a WAV name: <c>wav/espeak-adam_0123.wav</c> gives <c>espeak-adam</c>.</summary>
    public static string VoiceOf(string path) => Path.GetFileNameWithoutExtension(path).Split('_')[0];
}
