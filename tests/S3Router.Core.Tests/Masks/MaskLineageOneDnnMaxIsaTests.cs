using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;
using S3Router.Testing;

namespace S3Router.Core.Tests.Masks;

public sealed class MaskLineageOneDnnMaxIsaTests
{
    private static MaskBundle Bundle(string isa) =>
        LineageTestBundle.With(new MaskLineage { JobId = "j", PruneRate = 1, TorchThreads = 2, OneDnnMaxIsa = isa });

    [Theory]
    [InlineData("AVX2")]
    [InlineData("AVX512_CORE_VNNI")]
    [InlineData("ALL")]
    public void ReadWrite_OneDnnMaxIsa_RoundTrips(string isa)
    {
        // Act
        var bytes = Bundle(isa).ToBytes();

        // Assert
        using var file = SafetensorsFile.FromBytes(bytes);
        Assert.Contains($"\"onednn_max_isa\":\"{isa}\"", file.Metadata["lineage"], StringComparison.Ordinal);
        Assert.Equal(isa, MaskBundle.Read(bytes).Lineage.OneDnnMaxIsa);
    }

    [Fact]
    public void ToBytes_LevelNotRecorded_LineageAsBeforeTheKeyExisted()
    {
        // Act
        var bytes = Bundle("").ToBytes();

        // Assert: byte for byte the lineage bundles had before onednn_max_isa, so their digests stay.
        using var file = SafetensorsFile.FromBytes(bytes);
        Assert.Equal(
            """{"job_id":"j","dataset_digest":"","parent_version":null,"prune_rate":1,"init_score":"","torch_threads":2}""",
            file.Metadata["lineage"]);
        Assert.Equal("", MaskBundle.Read(bytes).Lineage.OneDnnMaxIsa);
    }

    [Theory]
    [InlineData("asr-en.safetensors")]
    [InlineData("speaker-und.safetensors")]
    [InlineData("intent-en.safetensors")]
    public void ToBytes_ShippedRoute_RewritesToTheSameBytes(string route)
    {
        // Arrange: of the demo routes (models/tiny-ssl), asr/en and speaker/und were written before onednn_max_isa
        // existed, intent/en (2026-11-28) with it; each reads and writes back byte for byte.
        var path = RepositoryPaths.Find(Path.Combine("models", "tiny-ssl", "routes", route));
        var original = File.ReadAllBytes(path);

        // Act
        var rewritten = MaskBundle.Read(original).ToBytes();

        // Assert
        Assert.Equal(Sha256Digest.Of(original), Sha256Digest.Of(rewritten));
    }

    [Theory]
    [InlineData("avx2")] // oneDNN's names are upper case
    [InlineData("AVX-512")]
    [InlineData(" AVX2")]
    [InlineData("AVX512_CORE_AMX_FP16_AND_THEN_SOME")] // 34 characters
    public void ToBytes_LevelNotAOneDnnName_IsInvalid(string isa)
    {
        // Act
        var error = Assert.Throws<InvalidInputException>(() => Bundle(isa).ToBytes());

        // Assert
        Assert.Contains("onednn_max_isa", error.Message, StringComparison.Ordinal);
        Assert.Equal(MaskBundleFormat.LineageKey, Assert.Single(error.Violations).Field);
    }

    [Theory]
    [InlineData("\"avx2\"")]
    [InlineData("\"\"")]
    [InlineData("2")]
    [InlineData("null")]
    public void Read_LevelNotAOneDnnName_ThrowsInvalidInput(string json)
    {
        // Arrange: a bundle written by something else than this writer.
        using var file = SafetensorsFile.FromBytes(Bundle("AVX2").ToBytes());
        var writer = new SafetensorsWriter();
        foreach (var (key, value) in file.Metadata)
        {
            writer.SetMetadata(key, key == MaskBundleFormat.LineageKey ? value.Replace("\"AVX2\"", json, StringComparison.Ordinal) : value);
        }

        foreach (var (name, info) in file.Tensors)
        {
            writer.Add(name, info.Dtype, info.Shape, file.GetBytes(name));
        }

        // Act
        var error = Assert.Throws<InvalidInputException>(() => MaskBundle.Read(writer.ToArray()));

        // Assert
        Assert.Contains($"onednn_max_isa {json}", error.Message, StringComparison.Ordinal);
    }
}
