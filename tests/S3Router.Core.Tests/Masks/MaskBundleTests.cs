using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;

namespace S3Router.Core.Tests.Masks;

public sealed class MaskBundleTests
{
    private const string Digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Fc1 = "encoder.layers.0.feed_forward.intermediate_dense.weight";
    private const string Fc2 = "encoder.layers.0.feed_forward.output_dense.weight";

    private static readonly Dictionary<string, long[]> BackboneShapes = new()
    {
        [Fc1] = [8, 5],
        [Fc2] = [3, 7],
        ["encoder.layers.0.feed_forward.intermediate_dense.bias"] = [8],
    };

    private static MaskBundle CreateBundle(int seed = 1)
    {
        var random = new Random(seed);
        bool[] Bits(int count) => Enumerable.Range(0, count).Select(_ => random.NextDouble() < 0.9).ToArray();
        float[] Floats(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        return new MaskBundle
        {
            Task = "asr",
            Language = "pt-BR",
            BackboneDigest = Digest,
            HeadKind = MaskHeadKind.Ctc,
            Labels = ["<pad>", "|", "a", "é", "\"q\""],
            Masks = [MaskTensor.FromBits(Fc2, [3, 7], Bits(21)), MaskTensor.FromBits(Fc1, [8, 5], Bits(40))],
            Heads = [new HeadTensor("head.weight", [5, 4], Floats(20)), new HeadTensor("head.bias", [5], Floats(5))],
            Lineage = new MaskLineage
            {
                JobId = "job-42",
                DatasetDigest = Digest,
                ParentVersion = 3,
                PruneRate = 0.9,
                InitScore = "weight_rank",
            },
            Metrics = new Dictionary<string, double> { ["wer"] = 0.183, ["loss"] = 1.0 / 3 },
        };
    }

    [Fact]
    public void Read_WrittenBundle_RoundTripsEveryField()
    {
        var bundle = CreateBundle();

        var read = MaskBundle.Read(bundle.ToBytes());

        Assert.Equal("asr", read.Task);
        Assert.Equal("pt-BR", read.Language);
        Assert.Equal(Digest, read.BackboneDigest);
        Assert.Equal(MaskHeadKind.Ctc, read.HeadKind);
        Assert.Equal(bundle.Labels, read.Labels);
        Assert.Equal(bundle.Lineage, read.Lineage);
        Assert.Equal(bundle.Metrics.OrderBy(m => m.Key), read.Metrics.OrderBy(m => m.Key));
        foreach (var mask in bundle.Masks)
        {
            var copy = Assert.Single(read.Masks, m => m.Name == mask.Name);
            Assert.Equal(mask.Shape, copy.Shape);
            Assert.Equal(mask.Unpack(), copy.Unpack());
            Assert.Equal(mask.KeepRatio, copy.KeepRatio);
        }

        foreach (var head in bundle.Heads)
        {
            var copy = Assert.Single(read.Heads, h => h.Name == head.Name);
            Assert.Equal(head.Shape, copy.Shape);
            Assert.Equal(head.Values.ToArray(), copy.Values.ToArray());
        }
    }

    [Fact]
    public void ToBytes_Layout_PacksMasksAsU8AndStoresLogicalShapeInMetadata()
    {
        using var file = SafetensorsFile.FromBytes(CreateBundle().ToBytes());

        var packed = file.Tensors[Fc2 + ".mask"];
        Assert.Equal(SafetensorsDtype.U8, packed.Dtype);
        Assert.Equal([3L], packed.Shape);
        Assert.Equal(SafetensorsDtype.F32, file.Tensors["head.weight"].Dtype);
        Assert.Equal("1", file.Metadata["format_version"]);
        Assert.Equal("ctc", file.Metadata["head_kind"]);
        Assert.StartsWith($"[{{\"name\":\"{Fc1}\",\"shape\":[8,5],\"keep_ratio\":", file.Metadata["masked_tensors"]);
        Assert.Equal(4, file.Tensors.Count);
    }

    [Fact]
    public void ToBytes_EqualBundlesInAnyOrder_GiveIdenticalBytesAndDigest()
    {
        var a = CreateBundle();
        var b = CreateBundle();
        b = new MaskBundle
        {
            Task = b.Task,
            Language = b.Language,
            BackboneDigest = b.BackboneDigest,
            HeadKind = b.HeadKind,
            Labels = b.Labels,
            Masks = b.Masks.Reverse().ToArray(),
            Heads = b.Heads.Reverse().ToArray(),
            Lineage = b.Lineage,
            Metrics = b.Metrics.Reverse().ToDictionary(),
        };

        var bytesA = a.ToBytes();
        var bytesB = b.ToBytes();

        Assert.Equal(bytesA, bytesB);
        Assert.Equal(Sha256Digest.Of(bytesA), Sha256Digest.Of(bytesB));
        Assert.Equal(bytesA, MaskBundle.Read(bytesA).ToBytes());
        Assert.NotEqual(Sha256Digest.Of(bytesA), Sha256Digest.Of(CreateBundle(seed: 2).ToBytes()));
    }

    [Fact]
    public void Read_FromPath_MatchesWrittenFile()
    {
        var path = Path.GetTempFileName();
        try
        {
            CreateBundle().WriteToFile(path);

            var read = MaskBundle.Read(path);

            Assert.Equal(2, read.Masks.Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Read_FromStream_MatchesWrittenBundle()
    {
        using var stream = new MemoryStream();
        CreateBundle().Write(stream);
        stream.Position = 0;

        var read = MaskBundle.Read(stream);

        Assert.Equal(CreateBundle().ToBytes(), read.ToBytes());
    }

    [Fact]
    public void Read_MissingPath_ThrowsNotFound()
    {
        Assert.Throws<NotFoundException>(() => MaskBundle.Read(Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".safetensors")));
    }

    [Fact]
    public void CheckCompatible_MatchingBackbone_Passes()
    {
        CreateBundle().CheckCompatible(Digest, BackboneShapes);
    }

    [Fact]
    public void CheckCompatible_HuggingFacePrefixedNames_Passes()
    {
        var prefixed = BackboneShapes.ToDictionary(p => "wav2vec2." + p.Key, p => p.Value);

        CreateBundle().CheckCompatible(Digest, prefixed);
    }

    [Fact]
    public void CheckCompatible_OtherDigest_ThrowsFailedPreconditionNamingBoth()
    {
        var other = new string('f', 64);

        var error = Assert.Throws<FailedPreconditionException>(() => CreateBundle().CheckCompatible(other, BackboneShapes));

        Assert.Contains(Digest, error.Message);
        Assert.Contains(other, error.Message);
    }

    [Fact]
    public void CheckCompatible_ShapeMismatch_ThrowsFailedPreconditionWithBothShapes()
    {
        var shapes = new Dictionary<string, long[]>(BackboneShapes) { [Fc1] = [5, 8] };

        var error = Assert.Throws<FailedPreconditionException>(() => CreateBundle().CheckCompatible(Digest, shapes));

        Assert.Contains(Fc1, error.Message);
        Assert.Contains("[8, 5]", error.Message);
        Assert.Contains("[5, 8]", error.Message);
    }

    [Fact]
    public void CheckCompatible_MissingParameter_ThrowsFailedPreconditionNamingIt()
    {
        var shapes = new Dictionary<string, long[]>(BackboneShapes);
        shapes.Remove(Fc2);

        var error = Assert.Throws<FailedPreconditionException>(() => CreateBundle().CheckCompatible(Digest, shapes));

        Assert.Contains(Fc2, error.Message);
    }

    public static TheoryData<string> RequiredKeys =>
        ["format_version", "task", "language", "backbone_digest", "head_kind", "labels", "masked_tensors", "lineage", "metrics"];

    [Theory]
    [MemberData(nameof(RequiredKeys))]
    public void Read_MissingMetadataKey_ThrowsInvalidInputNamingKey(string key)
    {
        var bytes = Rewrite(CreateBundle().ToBytes(), metadata => metadata.Remove(key));

        var error = Assert.Throws<InvalidInputException>(() => MaskBundle.Read(bytes));

        Assert.Contains(key, error.Message);
        Assert.Equal(key, Assert.Single(error.Violations).Field);
    }

    public static TheoryData<string, string, string> BadMetadata => new()
    {
        { "format_version", "2", "not supported" },
        { "head_kind", "seq2seq", "seq2seq" },
        { "backbone_digest", "abc", "64 lowercase hex" },
        { "task", "", "task is empty" },
        { "labels", "[\"a\", ", "not valid JSON" },
        { "labels", "[\"a\", 1]", "array of strings" },
        { "labels", "[]", "non-empty" },
        { "labels", "[\"a\", \"a\"]", "distinct" },
        { "lineage", "{\"job_id\": \"j\"}", "needs job_id" },
        { "lineage", "{\"job_id\": \"j\", \"dataset_digest\": \"\", \"parent_version\": \"3\", \"prune_rate\": 0.9, \"init_score\": \"\"}", "parent_version" },
        { "lineage", "{\"job_id\": \"j\", \"dataset_digest\": \"\", \"parent_version\": null, \"prune_rate\": 1.5, \"init_score\": \"\"}", "prune rate" },
        { "metrics", "{\"wer\": \"low\"}", "wer" },
        { "metrics", "[]", "not a JSON object" },
        { "masked_tensors", "{}", "not a JSON array" },
        { "masked_tensors", "[{\"name\": \"x\"}]", "need a string 'name'" },
    };

    [Theory]
    [MemberData(nameof(BadMetadata))]
    public void Read_BadMetadataValue_ThrowsInvalidInput(string key, string value, string expectedText)
    {
        var bytes = Rewrite(CreateBundle().ToBytes(), metadata => metadata[key] = value);

        var error = Assert.Throws<InvalidInputException>(() => MaskBundle.Read(bytes));

        Assert.Contains(expectedText, error.Message);
    }

    [Fact]
    public void Read_LogicalShapeNotMatchingPackedBytes_ThrowsInvalidInputNamingMask()
    {
        var bytes = Rewrite(CreateBundle().ToBytes(),
            metadata => metadata["masked_tensors"] = metadata["masked_tensors"].Replace("[8,5]", "[8,6]"));

        var error = Assert.Throws<InvalidInputException>(() => MaskBundle.Read(bytes));

        Assert.Contains(Fc1, error.Message);
        Assert.Contains("expected 6", error.Message);
    }

    [Fact]
    public void Read_KeepRatioFarFromPopcount_ThrowsInvalidInput()
    {
        var bundle = new MaskBundle
        {
            Task = "asr",
            BackboneDigest = Digest,
            HeadKind = MaskHeadKind.Ctc,
            Labels = ["a"],
            Masks = [MaskTensor.FromBits(Fc1, [8, 5], Enumerable.Range(0, 40).Select(i => i < 20).ToArray())],
            Heads = [new HeadTensor("head.bias", [1], [0f])],
        };
        var bytes = Rewrite(bundle.ToBytes(),
            metadata => metadata["masked_tensors"] = metadata["masked_tensors"].Replace("\"keep_ratio\":0.5", "\"keep_ratio\":0.55"));

        var error = Assert.Throws<InvalidInputException>(() => MaskBundle.Read(bytes));

        Assert.Contains("keep_ratio 0.55", error.Message);
        Assert.Contains("20 of 40", error.Message);
    }

    [Fact]
    public void Read_KeepRatioWithinOneElement_IsAccepted()
    {
        var bundle = new MaskBundle
        {
            Task = "asr",
            BackboneDigest = Digest,
            HeadKind = MaskHeadKind.Ctc,
            Labels = ["a"],
            Masks = [MaskTensor.FromBits(Fc1, [8, 5], Enumerable.Range(0, 40).Select(i => i < 20).ToArray())],
            Heads = [new HeadTensor("head.bias", [1], [0f])],
        };
        var bytes = Rewrite(bundle.ToBytes(),
            metadata => metadata["masked_tensors"] = metadata["masked_tensors"].Replace("\"keep_ratio\":0.5", "\"keep_ratio\":0.52"));

        Assert.Equal(0.5, MaskBundle.Read(bytes).Masks[0].KeepRatio);
    }

    [Fact]
    public void Read_PaddingBitsSet_ThrowsInvalidInput()
    {
        // Fc2 has 21 elements: the top 3 bits of its last byte are padding.
        var bytes = Rewrite(CreateBundle().ToBytes(), tensors: tensors =>
        {
            var (dtype, shape, data) = tensors[Fc2 + ".mask"];
            data[^1] |= 0x80;
            tensors[Fc2 + ".mask"] = (dtype, shape, data);
        });

        var error = Assert.Throws<InvalidInputException>(() => MaskBundle.Read(bytes));

        Assert.Contains("padding", error.Message);
    }

    [Fact]
    public void Read_UnexpectedTensor_ThrowsInvalidInputNamingIt()
    {
        var bytes = Rewrite(CreateBundle().ToBytes(), tensors: tensors => tensors["stray"] = (SafetensorsDtype.F32, [1], new byte[4]));

        var error = Assert.Throws<InvalidInputException>(() => MaskBundle.Read(bytes));

        Assert.Contains("'stray'", error.Message);
    }

    [Fact]
    public void Read_MaskTensorMissing_ThrowsInvalidInputNamingIt()
    {
        var bytes = Rewrite(CreateBundle().ToBytes(), tensors: tensors => tensors.Remove(Fc1 + ".mask"));

        var error = Assert.Throws<InvalidInputException>(() => MaskBundle.Read(bytes));

        Assert.Contains(Fc1, error.Message);
    }

    [Fact]
    public void Read_HeadNotF32_ThrowsInvalidInput()
    {
        var bytes = Rewrite(CreateBundle().ToBytes(), tensors: tensors => tensors["head.bias"] = (SafetensorsDtype.F16, [5], new byte[10]));

        var error = Assert.Throws<InvalidInputException>(() => MaskBundle.Read(bytes));

        Assert.Contains("head.bias", error.Message);
    }

    [Fact]
    public void Read_NotSafetensors_ThrowsFormatError()
    {
        Assert.Throws<SafetensorsFormatException>(() => MaskBundle.Read(new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public void Read_SeededTruncationsAndBitFlips_OnlyThrowInvalidInput()
    {
        var original = CreateBundle().ToBytes();
        var random = new Random(99);
        var rejected = 0;
        for (var i = 0; i < 200; i++)
        {
            var bytes = i % 2 == 0 ? original[..random.Next(original.Length)] : (byte[])original.Clone();
            if (i % 2 == 1)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            }

            try
            {
                MaskBundle.Read(bytes);
            }
            catch (InvalidInputException)
            {
                rejected++;
            }
        }

        Assert.True(rejected >= 100, $"only {rejected} of 200 damaged bundles were rejected");
    }

    [Fact]
    public void ToBytes_InvalidBundle_ThrowsInvalidInput()
    {
        var bundle = CreateBundle();
        var invalid = new MaskBundle
        {
            Task = bundle.Task,
            BackboneDigest = "not-a-digest",
            HeadKind = bundle.HeadKind,
            Labels = bundle.Labels,
            Masks = bundle.Masks,
            Heads = bundle.Heads,
        };

        Assert.Throws<InvalidInputException>(() => invalid.ToBytes());
    }

    [Fact]
    public void ToBytes_DuplicateMask_ThrowsInvalidInput()
    {
        var bundle = CreateBundle();
        var invalid = new MaskBundle
        {
            Task = bundle.Task,
            BackboneDigest = Digest,
            HeadKind = bundle.HeadKind,
            Labels = bundle.Labels,
            Masks = [bundle.Masks[0], bundle.Masks[0]],
            Heads = bundle.Heads,
        };

        Assert.Throws<InvalidInputException>(() => invalid.ToBytes());
    }

    [Fact]
    public void HeadTensor_NameWithoutHeadPrefix_ThrowsInvalidInput()
    {
        Assert.Throws<InvalidInputException>(() => new HeadTensor("lm_head.weight", [1], [0f]));
    }

    [Fact]
    public void MaskTensor_BitCountNotMatchingShape_ThrowsInvalidInput()
    {
        Assert.Throws<InvalidInputException>(() => MaskTensor.FromBits("w", [2, 3], new bool[5]));
    }

    private static byte[] Rewrite(
        byte[] bundle,
        Action<Dictionary<string, string>>? metadata = null,
        Action<Dictionary<string, (SafetensorsDtype, IReadOnlyList<long>, byte[])>>? tensors = null)
    {
        using var file = SafetensorsFile.FromBytes(bundle);
        var meta = file.Metadata.ToDictionary();
        var entries = file.Tensors.ToDictionary(
            t => t.Key, t => (t.Value.Dtype, t.Value.Shape, file.GetBytes(t.Key).ToArray()));
        metadata?.Invoke(meta);
        tensors?.Invoke(entries);
        var writer = new SafetensorsWriter();
        foreach (var (key, value) in meta)
        {
            writer.SetMetadata(key, value);
        }

        foreach (var (name, (dtype, shape, data)) in entries)
        {
            writer.Add(name, dtype, shape, data);
        }

        return writer.ToArray();
    }
}
