using System.Globalization;
using System.Text.Json;

namespace S3Router.TrainingService.Training.Pretraining;

/// <summary>
/// What a pretraining job's targets come from, kept as <c>targets.json</c> beside <c>kmeans.json</c>: a job that
/// finds fitted targets in its work directory reuses them only when it asks for the same ones.
/// </summary>
internal sealed record TargetSettings
{
    public const string FileName = "targets.json";

    public const string MfccSource = "mfcc";

    public const string BackboneSource = "backbone";

    /// <summary><see cref="MfccSource"/> or <see cref="BackboneSource"/>.</summary>
    public required string Source { get; init; }

    /// <summary>Full path of the targets backbone when the targets were fitted (informative; the digest identifies it). Empty for MFCC.</summary>
    public string BackbonePath { get; init; } = "";

    /// <summary>sha256 of the targets backbone's <c>model.safetensors</c>, lowercase hex. Empty for MFCC.</summary>
    public string BackboneDigest { get; init; } = "";

    /// <summary>Clustered layer of the targets backbone (0 = transformer input). 0 for MFCC.</summary>
    public int Layer { get; init; }

    public required int Clusters { get; init; }

    /// <summary>sha256 of the training manifest the k-means sample and targets came from. Empty in files from before it was recorded.</summary>
    public string DatasetDigest { get; init; } = "";

    public required long Seed { get; init; }

    /// <summary>Utterances drawn for the k-means sample.</summary>
    public required int KMeansUtterances { get; init; }

    /// <summary>Most frames of the k-means sample.</summary>
    public required int KMeansMaxFrames { get; init; }

    /// <summary>
    /// Whether both name the same targets (the backbone's path may differ: its digest identifies it). A corpus rebuilt
    /// in place is other data: its targets table would label other audio. An unrecorded corpus digest is not checked.
    /// </summary>
    public bool SameTargets(TargetSettings other) =>
        (other.DatasetDigest.Length == 0 || DatasetDigest.Length == 0 || other.DatasetDigest == DatasetDigest)
        && other.Source == Source && other.BackboneDigest == BackboneDigest && other.Layer == Layer && other.Clusters == Clusters
        && other.Seed == Seed && other.KMeansUtterances == KMeansUtterances && other.KMeansMaxFrames == KMeansMaxFrames;

    public string Describe() => Source == BackboneSource
        ? string.Create(CultureInfo.InvariantCulture,
            $"{Clusters} k-means clusters of layer {Layer} of '{BackbonePath}' (model.safetensors sha256 {Short(BackboneDigest)}…), seed {Seed}{Corpus}")
        : string.Create(CultureInfo.InvariantCulture, $"{Clusters} k-means clusters of MFCC + deltas, seed {Seed}{Corpus}");

    private string Corpus => DatasetDigest.Length == 0 ? "" : $", training manifest sha256 {Short(DatasetDigest)}…";

    private static string Short(string digest) => digest[..Math.Min(12, digest.Length)];

    public void Save(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The stored settings, or null when the file does not exist.</summary>
    public static TargetSettings? TryLoad(string path) =>
        File.Exists(path)
            ? JsonSerializer.Deserialize<TargetSettings>(File.ReadAllText(path)) ?? throw new InvalidDataException($"'{path}' holds no target settings.")
            : null;
}
