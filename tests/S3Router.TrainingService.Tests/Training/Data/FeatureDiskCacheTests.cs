using S3Router.Core.Audio;
using S3Router.Core.Masks;
using S3Router.TrainingService.Training.Data;

namespace S3Router.TrainingService.Tests.Training.Data;

public sealed class FeatureDiskCacheTests : IDisposable
{
    private static readonly string Digest = new('a', Sha256Digest.HexLength);

    private readonly string _root = Directory.CreateTempSubdirectory("s3r-featdisk-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryRead_AfterWrite_GivesTheWrittenFeaturesBitForBit(bool half)
    {
        // Arrange: computed features of utterances of different lengths.
        using var backbone = FeatureTestData.Backbone();
        var dataset = FeatureTestData.Dataset(_root, 4_000, 9_600, 6_400);
        var features = FrozenFeatures.Compute(backbone, dataset, maxTokens: 20_000, half, (_, _) => { });
        var cache = Cache();
        var key = cache.Key(backbone, dataset, 20_000, half);

        // Act
        cache.Write(key, features);
        var read = cache.TryRead(key, dataset.Count, (int)backbone.OutputWidth, half);

        // Assert: the same bytes item by item, and no temporary file left beside the cache file.
        Assert.NotNull(read);
        Assert.Equal(half, read.IsHalfPrecision);
        Assert.Equal(features.Bytes, read.Bytes);
        for (var i = 0; i < dataset.Count; i++)
        {
            Assert.Equal(features.FramesOf(i), read.FramesOf(i));
            Assert.True(features.ItemBytes(i).SequenceEqual(read.ItemBytes(i)), $"item {i}");
        }

        Assert.Equal([cache.PathOf(key)], Directory.GetFiles(Path.Combine(_root, "cache")));
    }

    [Fact]
    public void TryRead_NoFile_Null()
    {
        // Arrange
        var cache = Cache();

        // Act
        var read = cache.TryRead(Digest, count: 1, width: 4, half: false);

        // Assert
        Assert.Null(read);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped value")]
    [InlineData("other width")]
    [InlineData("other precision")]
    [InlineData("other key")]
    public void TryRead_FileThatIsNotExactlyTheKeysFeatures_ThrowsInvalidData(string damage)
    {
        // Arrange: two items of 3 frames, 4 wide.
        var cache = Cache();
        var features = FrozenFeatures.Read([3, 3], width: 4, half: false, bytes => bytes.Fill(0x3f));
        cache.Write(Digest, features);
        var path = cache.PathOf(Digest);
        var bytes = File.ReadAllBytes(path);
        var (key, width, half) = (Digest, 4, false);
        switch (damage)
        {
            case "truncated":
                File.WriteAllBytes(path, bytes[..^40]);
                break;
            case "flipped value":
                bytes[^40] ^= 1;
                File.WriteAllBytes(path, bytes);
                break;
            case "other width":
                width = 6;
                break;
            case "other precision":
                half = true;
                break;
            default:
                key = new string('b', Sha256Digest.HexLength);
                File.Move(path, cache.PathOf(key));
                break;
        }

        // Act + Assert
        Assert.Throws<InvalidDataException>(() => cache.TryRead(key, count: 2, width, half));
    }

    [Fact]
    public void Write_DirectoryUnderAFile_ThrowsIOException()
    {
        // Arrange: a path that can never be a directory, whoever runs the test (root ignores permissions).
        var file = Path.Combine(_root, "file");
        File.WriteAllText(file, "");
        var cache = new FeatureDiskCache(Path.Combine(file, "cache"), Digest, Digest, "", [], threads: 1);
        var features = FrozenFeatures.Read([1], width: 2, half: false, bytes => bytes.Clear());

        // Act + Assert
        Assert.ThrowsAny<IOException>(() => cache.Write(Digest, features));
    }

    [Fact]
    public void Key_EachInputOfTheFeatures_ChangesTheKey()
    {
        // Arrange
        using var backbone = FeatureTestData.Backbone();
        var dataset = FeatureTestData.Dataset(_root, 4_000, 6_400);
        var cache = Cache();
        var key = cache.Key(backbone, dataset, 20_000, half: false);
        var otherAudio = Path.Combine(_root, "other.wav");
        File.WriteAllBytes(otherAudio, WavWriter.Write(new float[6_400], AudioDecoder.TargetSampleRateHertz));
        var mask = MaskTensor.FromBits("encoder.layers.0.feed_forward.intermediate_dense.weight", [2, 2], [true, false, true, true]);

        // Act
        var keys = new[]
        {
            Cache().Key(backbone, dataset, 20_000, half: false),
            cache.Key(backbone, dataset, 30_000, half: false),
            cache.Key(backbone, dataset, 20_000, half: true),
            cache.Key(backbone, new SpeechDataset("train", [dataset.Items[0]]), 20_000, half: false),
            cache.Key(backbone, new SpeechDataset("train", [dataset.Items[1], dataset.Items[0]]), 20_000, half: false),
            cache.Key(backbone, new SpeechDataset("train", [dataset.Items[0], dataset.Items[1] with { AudioPath = otherAudio }]), 20_000, half: false),
            new FeatureDiskCache(_root, new string('b', Sha256Digest.HexLength), Digest, "", [], threads: 1).Key(backbone, dataset, 20_000, half: false),
            new FeatureDiskCache(_root, Digest, new string('b', Sha256Digest.HexLength), "", [], threads: 1).Key(backbone, dataset, 20_000, half: false),
            new FeatureDiskCache(_root, Digest, Digest, Digest, [], threads: 1).Key(backbone, dataset, 20_000, half: false),
            new FeatureDiskCache(_root, Digest, Digest, "", [mask], threads: 1).Key(backbone, dataset, 20_000, half: false),
            new FeatureDiskCache(_root, Digest, Digest, "", [], threads: 2).Key(backbone, dataset, 20_000, half: false),
        };
        backbone.OutputsAllStates = true;
        var allStates = cache.Key(backbone, dataset, 20_000, half: false);

        // Assert: the same inputs give the same key; another batching, precision, item list, item order, audio content,
        // weights file, config, start bundle, mask, thread count or feature kind give another.
        Assert.True(Sha256Digest.IsValid(key));
        Assert.Equal(key, keys[0]);
        var others = keys.Skip(1).Append(allStates).Prepend(key).ToList();
        Assert.Equal(others.Count, others.Distinct(StringComparer.Ordinal).Count());
    }

    private FeatureDiskCache Cache() => new(Path.Combine(_root, "cache"), Digest, Digest, "", [], threads: 1);
}
