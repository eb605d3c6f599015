using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;

namespace S3Router.TrainingService.Tests.Jobs.TestSupport;

/// <summary>A throwaway folder with a tiny backbone directory, a fairseq-style dataset and a job data directory.</summary>
internal sealed class TestData : IDisposable
{
    public const string FfnName = "encoder.layers.0.feed_forward.intermediate_dense.weight";
    public static readonly long[] FfnShape = [4, 8];

    public TestData()
    {
        Root = Directory.CreateTempSubdirectory("s3r-training-").FullName;
        BackbonePath = Directory.CreateDirectory(Path.Combine(Root, "backbone")).FullName;
        File.WriteAllText(Path.Combine(BackbonePath, "config.json"), "{\"hidden_size\": 8}");
        new SafetensorsWriter()
            .AddFloat32(FfnName, FfnShape, Enumerable.Range(0, 32).Select(i => i / 32f).ToArray())
            .WriteToFile(Path.Combine(BackbonePath, "model.safetensors"));
        DatasetPath = Directory.CreateDirectory(Path.Combine(Root, "data")).FullName;
        foreach (var split in new[] { "train", "valid", "test" })
        {
            File.WriteAllText(Path.Combine(DatasetPath, $"{split}.tsv"), $"{DatasetPath}\na.wav\t16000\n");
            File.WriteAllText(Path.Combine(DatasetPath, $"{split}.ltr"), "A |\n");
        }

        DataDirectory = Path.Combine(Root, "service");
    }

    public string Root { get; }

    public string BackbonePath { get; }

    public string DatasetPath { get; }

    /// <summary>The training service's data directory (job database and work directories).</summary>
    public string DataDirectory { get; }

    /// <summary>The backbone digest as bundles hold it: bare lowercase hex.</summary>
    public string BackboneDigest => Sha256Digest.OfFile(Path.Combine(BackbonePath, "model.safetensors"));

    /// <summary>A valid mask job on the test backbone and dataset.</summary>
    public JobSpec Spec() => new()
    {
        Kind = JobKind.Mask,
        Task = "asr",
        LanguageCode = "en",
        BackbonePath = BackbonePath,
        Dataset = new DatasetSpec { ManifestDir = DatasetPath },
        Mask = new MaskSpec { PruneRate = 0.9 },
        Optimization = new OptimizationSpec { MaxSteps = 5 },
    };

    /// <summary>A small valid bundle for <paramref name="spec"/>: 28 of 32 FFN weights kept, a CTC head over 3 labels.</summary>
    public static MaskBundle Bundle(JobSpec spec, string jobId) => new()
    {
        Task = spec.Task,
        Language = spec.LanguageCode,
        BackboneDigest = Sha256Digest.OfFile(Path.Combine(spec.BackbonePath, "model.safetensors")),
        HeadKind = MaskHeadKind.Ctc,
        Labels = ["<blank>", "|", "a"],
        Masks = [MaskTensor.FromBits(FfnName, FfnShape, Enumerable.Range(0, 32).Select(i => i % 8 != 0).ToArray())],
        Heads = [new HeadTensor("head.proj.weight", [3, 8], new float[24]), new HeadTensor("head.proj.bias", [3], new float[3])],
        Lineage = new S3Router.Core.Masks.MaskLineage { JobId = jobId, PruneRate = spec.Mask?.PruneRate ?? 0.9, InitScore = "weight_rank" },
        Metrics = new Dictionary<string, double> { ["test_cer"] = 0.125 },
    };

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a stopping host; the OS temp cleaner gets it.
        }
    }
}
