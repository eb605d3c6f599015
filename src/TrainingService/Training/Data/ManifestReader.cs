using System.Globalization;
using S3Router.Core.Errors;

namespace S3Router.TrainingService.Training.Data;

/// <summary>
/// Reads fairseq manifests (docs/formats.md): <c>&lt;split&gt;.tsv</c> (root directory, then
/// <c>relative/path.wav&lt;TAB&gt;num_samples</c>) and the label file beside it, one line per audio line.
/// </summary>
internal static class ManifestReader
{
    public static string ManifestPath(string directory, string split) => Path.Combine(directory, split + ".tsv");

    public static string LabelPath(string directory, string split, string labelExtension) =>
        Path.Combine(directory, split + "." + labelExtension);

    public static bool Exists(string directory, string split) => File.Exists(ManifestPath(directory, split));

    /// <summary>Reads a split; a missing file throws <see cref="NotFoundException"/>, a malformed one <see cref="InvalidInputException"/>.</summary>
    public static IReadOnlyList<ManifestEntry> Read(string directory, string split, string labelExtension)
    {
        var manifestPath = ManifestPath(directory, split);
        var labelPath = LabelPath(directory, split, labelExtension);
        if (!File.Exists(manifestPath))
        {
            throw new NotFoundException($"Manifest '{manifestPath}' does not exist.");
        }

        if (!File.Exists(labelPath))
        {
            throw new NotFoundException($"Label file '{labelPath}' for manifest '{manifestPath}' does not exist.");
        }

        var audio = ReadAudio(directory, split);
        var labels = File.ReadAllLines(labelPath);
        var labelCount = labels.Length;
        while (labelCount > audio.Count && string.IsNullOrWhiteSpace(labels[labelCount - 1]))
        {
            labelCount--; // tolerate trailing blank lines
        }

        if (labelCount != audio.Count)
        {
            throw new InvalidInputException(
                $"Label file '{labelPath}' has {labelCount} lines but manifest '{manifestPath}' lists {audio.Count} audio files.",
                "dataset.label_extension");
        }

        return audio.Select((a, i) => new ManifestEntry(a.Path, a.Samples, labels[i].Trim())).ToList();
    }

    /// <summary>Reads the audio lines of a split (no labels; self-supervised pretraining); errors as <see cref="Read"/>.</summary>
    public static IReadOnlyList<(string Path, long Samples)> ReadAudio(string directory, string split)
    {
        var manifestPath = ManifestPath(directory, split);
        if (!File.Exists(manifestPath))
        {
            throw new NotFoundException($"Manifest '{manifestPath}' does not exist.");
        }

        var lines = File.ReadAllLines(manifestPath);
        if (lines.Length == 0)
        {
            throw new InvalidInputException($"Manifest '{manifestPath}' is empty; its first line must be the root directory.", "dataset.manifest_dir");
        }

        var root = lines[0].Trim();
        if (!Path.IsPathRooted(root))
        {
            root = Path.GetFullPath(Path.Combine(directory, root));
        }

        var audio = new List<(string Path, long Samples)>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            var fields = lines[i].Split('\t');
            if (fields.Length < 2 || !long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var samples) || samples <= 0)
            {
                throw new InvalidInputException(
                    $"Manifest '{manifestPath}' line {i + 1} must be 'relative/path<TAB>num_samples' with a positive count; found '{lines[i]}'.",
                    "dataset.manifest_dir");
            }

            audio.Add((Path.Combine(root, fields[0]), samples));
        }

        return audio;
    }
}
