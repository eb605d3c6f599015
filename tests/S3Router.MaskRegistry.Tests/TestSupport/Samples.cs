using S3Router.Api.V1;

namespace S3Router.MaskRegistry.Tests.TestSupport;

/// <summary>Ready-made registry objects for tests.</summary>
internal static class Samples
{
    public static string Digest(char c = 'a') => "sha256:" + new string(c, 64);

    public static string RandomDigest() => TestBundle.DigestOf(Guid.NewGuid().ToByteArray());

    public static Backbone Backbone(string? digest = null) => new()
    {
        Digest = digest ?? RandomDigest(),
        Name = "tiny-ssl",
        ConfigJson = "{\"hidden_size\": 8}",
        Tensors = { new TensorShape { Name = TestBundle.FfnName, Dims = { TestBundle.FfnShape } } },
        ParameterCount = 128,
        Creator = "tests",
    };

    public static MaskVersion Version(string task = "asr", string language = "en", string? digest = null, string? backbone = null) => new()
    {
        Task = task,
        LanguageCode = language,
        Digest = digest ?? RandomDigest(),
        SizeBytes = 10,
        BackboneDigest = backbone ?? Digest('b'),
        Creator = "tests",
        HeadKind = HeadKind.Ctc,
        LabelCount = 32,
        MaskedTensors = { new MaskedTensor { Name = TestBundle.FfnName, KeepRatio = 0.9 } },
        Lineage = new MaskLineage { JobId = "job-1", PruneRate = 0.9 },
        Metrics = { ["test_cer"] = 0.25 },
    };
}
