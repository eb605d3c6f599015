using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using S3Router.Core.Masks;
using S3Router.TrainingService.Model;

namespace S3Router.TrainingService.Training.Data;

/// <summary>
/// <see cref="FrozenFeatures"/> on disk (<see cref="JobRunner.FeatureCacheDirectoryVariable"/>), so the jobs of a sweep
/// (seeds, learning rates, steps) on one corpus and backbone run the frozen backbone once. One file per
/// <see cref="Key"/>, which covers everything the stored values depend on. Files are never evicted.
/// <para>
/// Format <see cref="FormatVersion"/>, little-endian: magic <c>S3RFEAT\0</c>, int32 format version, the 32-byte key,
/// int32 items, int32 width, int32 bytes per value (4 = float32, 2 = float16), int32 frames of each item; the values of
/// each item in dataset order ([frames, width] row-major); then the sha256 of all bytes before it, so a file damaged
/// after its rename (a crash before the page cache reached the disk, a bad block) is never read as features.
/// </para>
/// </summary>
internal sealed class FeatureDiskCache
{
    /// <summary>Version of the file format and of the key's description; another version never matches a file.</summary>
    public const int FormatVersion = 1;

    private const int DigestBytes = SHA256.HashSizeInBytes;

    private readonly string _directory;
    private readonly string _source;

    /// <summary>
    /// The cache in <paramref name="directory"/> for a job's frozen backbone: the weights (<paramref name="backboneDigest"/>,
    /// the sha256 of <c>model.safetensors</c> as in the bundle's lineage) and <c>config.json</c>
    /// (<paramref name="configDigest"/>) it loaded, the start bundle whose masks zeroed its weights
    /// (<paramref name="startBundleDigest"/>, "" for none), the <paramref name="masks"/> it computes with on top of those
    /// (a mask job's initial masks, a structured prune's removed structures), and the TorchSharp build, oneDNN's level
    /// (<see cref="LibTorchCpuIsa"/>) and libtorch <paramref name="threads"/>, which round its reductions differently
    /// (docs/formats.md, reproducibility).
    /// </summary>
    public FeatureDiskCache(string directory, string backboneDigest, string configDigest, string startBundleDigest, IReadOnlyList<MaskTensor> masks, int threads)
    {
        _directory = directory;
        using var maskHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var mask in masks)
        {
            maskHash.AppendData(Encoding.UTF8.GetBytes($"{mask.Name} [{string.Join(",", mask.Shape)}]\n"));
            maskHash.AppendData(mask.Packed);
        }

        _source = string.Create(CultureInfo.InvariantCulture,
            $"""
            model.safetensors {backboneDigest}
            config.json {configDigest}
            start bundle {(startBundleDigest.Length > 0 ? startBundleDigest : "none")}
            masks {masks.Count} {Convert.ToHexStringLower(maskHash.GetHashAndReset())}
            TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version} oneDNN {LibTorchCpuIsa.Effective ?? "default"} threads {threads}
            """);
    }

    /// <summary>
    /// The sha256 (hex) of a canonical description of <paramref name="dataset"/>'s features from the backbone: its
    /// source (see the constructor), the features it extracts (the last hidden state or the all-states features, and
    /// their width), every item in order (manifest samples, which decide the batches, and the sha256 of the audio
    /// file), <paramref name="maxTokens"/> (the batches pad, which moves the last bits) and the precision. Hashing the
    /// audio reads it once, a fraction of the backbone pass it may save; the manifests alone would miss audio
    /// rewritten in place. <paramref name="progress"/> gets (files hashed, files) every 100 files and at the end.
    /// </summary>
    public string Key(Wav2Vec2Model backbone, SpeechDataset dataset, long maxTokens, bool half, Action<int, int>? progress = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"""
            s3router frozen features {FormatVersion}
            {_source}
            features {(backbone.OutputsAllStates ? "all_states" : "last_hidden_state")} width {backbone.OutputWidth}
            max_tokens {maxTokens}
            precision {(half ? "float16" : "float32")}
            items {dataset.Count}

            """)));
        var done = 0;
        foreach (var item in dataset.Items)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{item.Samples} {Sha256Digest.OfFile(item.AudioPath)}\n")));
            if (++done % 100 == 0 || done == dataset.Count)
            {
                progress?.Invoke(done, dataset.Count);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The file of <paramref name="key"/>.</summary>
    public string PathOf(string key) => Path.Combine(_directory, key + ".features");

    /// <summary>
    /// The stored features of <paramref name="key"/>, or null when there is no file. Throws
    /// <see cref="InvalidDataException"/> (or an <see cref="IOException"/>) for a file that is not exactly the features
    /// of the key: <paramref name="count"/> items <paramref name="width"/> wide, as float16 when <paramref name="half"/>.
    /// </summary>
    public FrozenFeatures? TryRead(string key, int count, int width, bool half)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        using (stream)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            void ReadHashed(Span<byte> bytes)
            {
                stream.ReadExactly(bytes);
                hash.AppendData(bytes);
            }

            var header = new byte[HeaderBytes(0)];
            ReadHashed(header);
            var fields = header.AsSpan(Magic.Length + sizeof(int) + DigestBytes);
            if (!header.AsSpan(0, Magic.Length).SequenceEqual(Magic)
                || BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(Magic.Length)) != FormatVersion
                || !header.AsSpan(Magic.Length + sizeof(int), DigestBytes).SequenceEqual(Convert.FromHexString(key))
                || BinaryPrimitives.ReadInt32LittleEndian(fields) != count
                || BinaryPrimitives.ReadInt32LittleEndian(fields[4..]) != width
                || BinaryPrimitives.ReadInt32LittleEndian(fields[8..]) != ValueBytes(half))
            {
                throw new InvalidDataException($"its header is not that of {count} items {width} wide as {(half ? "float16" : "float32")} under key {key}");
            }

            var frameBytes = new byte[count * sizeof(int)];
            ReadHashed(frameBytes);
            var frames = new int[count];
            long values = 0;
            for (var i = 0; i < count; i++)
            {
                frames[i] = BinaryPrimitives.ReadInt32LittleEndian(frameBytes.AsSpan(i * sizeof(int)));
                values += frames[i] >= 0 ? (long)frames[i] * width : throw new InvalidDataException($"item {i} has {frames[i]} frames");
            }

            // Checked before anything is allocated, so a damaged header cannot ask for more memory than the file holds.
            var expected = HeaderBytes(count) + (values * ValueBytes(half)) + DigestBytes;
            if (stream.Length != expected)
            {
                throw new InvalidDataException($"it holds {stream.Length} bytes where its header implies {expected}");
            }

            var features = FrozenFeatures.Read(frames, width, half, ReadHashed);
            var digest = hash.GetHashAndReset();
            Span<byte> stored = stackalloc byte[DigestBytes];
            stream.ReadExactly(stored);
            return stored.SequenceEqual(digest) ? features : throw new InvalidDataException("its checksum does not match its contents");
        }
    }

    /// <summary>
    /// Stores <paramref name="features"/> under <paramref name="key"/>: written to a temporary file of its own in the
    /// directory, then renamed over the key's file, so a concurrent job reads either no file or a whole one (of
    /// two jobs computing the same key, the last rename wins with the same values). Throws <see cref="IOException"/>
    /// or <see cref="UnauthorizedAccessException"/> when the directory cannot be written.
    /// </summary>
    public void Write(string key, FrozenFeatures features)
    {
        Directory.CreateDirectory(_directory);
        var path = PathOf(key);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                void WriteHashed(ReadOnlySpan<byte> bytes)
                {
                    stream.Write(bytes);
                    hash.AppendData(bytes);
                }

                var header = new byte[HeaderBytes(features.Count)];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(Magic.Length), FormatVersion);
                Convert.FromHexString(key).CopyTo(header, Magic.Length + sizeof(int));
                var fields = header.AsSpan(Magic.Length + sizeof(int) + DigestBytes);
                BinaryPrimitives.WriteInt32LittleEndian(fields, features.Count);
                BinaryPrimitives.WriteInt32LittleEndian(fields[4..], features.Width);
                BinaryPrimitives.WriteInt32LittleEndian(fields[8..], ValueBytes(features.IsHalfPrecision));
                for (var i = 0; i < features.Count; i++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(fields[((3 + i) * sizeof(int))..], features.FramesOf(i));
                }

                WriteHashed(header);
                for (var i = 0; i < features.Count; i++)
                {
                    WriteHashed(features.ItemBytes(i));
                }

                stream.Write(hash.GetHashAndReset());
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // nothing to delete once renamed; a failed write leaves no debris
        }
    }

    private static ReadOnlySpan<byte> Magic => "S3RFEAT\0"u8;

    // Values are stored in the machine's byte order, little-endian on every platform the service runs on (x64, arm64).
    private static int ValueBytes(bool half) => half ? sizeof(short) : sizeof(float);

    private static int HeaderBytes(int count) => Magic.Length + sizeof(int) + DigestBytes + ((3 + count) * sizeof(int));
}
