using System.Text;

namespace S3Router.TrainingService.Training.Pretraining;

/// <summary>
/// The cluster of every frame a pretraining step sees. MFCC targets are computed from each batch item's (cropped)
/// audio; backbone-layer targets are looked up in a table computed once per training utterance, at the trained
/// backbone's frames, and shifted by the item's crop offset.
/// </summary>
internal sealed class PretrainTargets
{
    /// <summary>Cluster id of a frame that has none (a frame past the end of the MFCC frames); ignored by the loss.</summary>
    public const long IgnoreIndex = -100;

    private const string TableMagic = "S3R-TARGETS-1";

    private readonly Mfcc? _mfcc;
    private readonly long[][]? _table;
    private readonly int _hopSamples;

    private PretrainTargets(TargetSettings settings, KMeans kmeans, Mfcc? mfcc, long[][]? table, int hopSamples)
    {
        (Settings, KMeans, _mfcc, _table, _hopSamples) = (settings, kmeans, mfcc, table, hopSamples);
    }

    public TargetSettings Settings { get; }

    public KMeans KMeans { get; }

    /// <summary>Clusters (the prediction head's classes).</summary>
    public int K => KMeans.K;

    /// <summary>Per training utterance, the cluster of each of its frames (backbone-layer targets), or null (MFCC targets).</summary>
    public IReadOnlyList<long[]>? Table => _table;

    public static PretrainTargets FromMfcc(TargetSettings settings, KMeans kmeans, Mfcc mfcc) => new(settings, kmeans, mfcc, null, mfcc.HopSamples);

    public static PretrainTargets FromTable(TargetSettings settings, KMeans kmeans, long[][] table, int hopSamples) =>
        new(settings, kmeans, null, table, hopSamples);

    /// <summary>
    /// The clusters of the <paramref name="frames"/> frames of <paramref name="audio"/>, training utterance
    /// <paramref name="item"/> from sample <paramref name="offset"/> on. MFCC frames are repeated or cut to
    /// <paramref name="frames"/>; a table row starts at the frame nearest the offset.
    /// </summary>
    public long[] For(int item, ReadOnlySpan<float> audio, int offset, int frames)
    {
        var targets = new long[frames];
        if (_table is null)
        {
            var clusters = KMeans.Assign(_mfcc!.ComputeWithDeltas(audio));
            for (var t = 0; t < frames; t++)
            {
                targets[t] = clusters.Length == 0 ? IgnoreIndex : clusters[Math.Min(t, clusters.Length - 1)];
            }

            return targets;
        }

        var row = _table[item];
        var start = (int)Math.Round(offset / (double)_hopSamples);
        for (var t = 0; t < frames; t++)
        {
            targets[t] = row[Math.Min(start + t, row.Length - 1)];
        }

        return targets;
    }

    /// <summary>Writes a table of cluster ids (16 bits each) tagged with the k-means file it came from.</summary>
    public static void SaveTable(string path, long[][] table, string kmeansDigest)
    {
        var temporary = path + ".tmp";
        using (var writer = new BinaryWriter(File.Create(temporary), Encoding.UTF8))
        {
            writer.Write(TableMagic);
            writer.Write(kmeansDigest);
            writer.Write(table.Length);
            foreach (var row in table)
            {
                writer.Write(row.Length);
                foreach (var id in row)
                {
                    writer.Write((ushort)id);
                }
            }
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// The table at <paramref name="path"/> when it exists, came from the k-means file with
    /// <paramref name="kmeansDigest"/> and has <paramref name="frames"/>[i] frames for utterance i; else null.
    /// </summary>
    public static long[][]? TryLoadTable(string path, string kmeansDigest, IReadOnlyList<long> frames)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (reader.ReadString() != TableMagic || reader.ReadString() != kmeansDigest || reader.ReadInt32() != frames.Count)
            {
                return null;
            }

            var table = new long[frames.Count][];
            for (var i = 0; i < table.Length; i++)
            {
                var length = reader.ReadInt32();
                if (length != frames[i])
                {
                    return null;
                }

                table[i] = new long[length];
                for (var t = 0; t < length; t++)
                {
                    table[i][t] = reader.ReadUInt16();
                }
            }

            return table;
        }
        catch (EndOfStreamException)
        {
            return null; // a truncated table is computed again
        }
    }
}
