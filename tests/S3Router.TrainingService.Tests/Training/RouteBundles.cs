using S3Router.Core.Masks;
using S3Router.TrainingService.Training.Heads;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training;

/// <summary>Writes a route (mask bundle) of the tiny backbone: random half masks on every attention and FFN weight, a classifier head for the tones.</summary>
internal static class RouteBundles
{
    /// <summary>The tones' classes in the order a job sorts them.</summary>
    public static readonly string[] ToneLabels = ["clicks", "noise", "tone"];

    public static MaskBundle Write(string path, string backboneDigest, MaskHeadKind headKind = MaskHeadKind.Classifier, int seed = 11)
    {
        var config = TrainingTestData.TinyConfig;
        var random = new Random(seed);
        var masks = Core.Backbones.BackboneParameterShapes.For(config)
            .Where(p => p.Key.StartsWith("encoder.layers.", StringComparison.Ordinal) && p.Key.EndsWith(".weight", StringComparison.Ordinal) && p.Value.Length == 2)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => MaskTensor.FromBits(p.Key, p.Value, Enumerable.Range(0, (int)(p.Value[0] * p.Value[1])).Select(_ => random.NextDouble() < 0.5).ToArray()))
            .ToList();
        manual_seed(seed);
        using var head = new ClassifierHead(config.HiddenSize, ToneLabels.Length, ClassifierPooling.Mean);
        var bundle = new MaskBundle
        {
            Task = "intent",
            Language = "und",
            BackboneDigest = backboneDigest,
            HeadKind = headKind,
            Labels = ToneLabels,
            Masks = masks,
            Heads = head.Export(),
            Lineage = new MaskLineage { JobId = "route-job", PruneRate = 0.5, InitScore = "weight_rank" },
        };
        bundle.WriteToFile(path);
        return bundle;
    }
}
