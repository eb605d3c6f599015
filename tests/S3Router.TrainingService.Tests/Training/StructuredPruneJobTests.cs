using Microsoft.Extensions.Logging.Abstractions;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Pruning;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training;
using S3Router.TrainingService.Training.Pruning;

namespace S3Router.TrainingService.Tests.Training;

public sealed class StructuredPruneJobTests : IDisposable
{
    private readonly TrainingTestData _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task RunAsync_StructuredPruneJob_WritesWholeStructureMasksAtComputeTarget()
    {
        // Arrange
        var spec = Spec(computeKeep: 0.6);
        spec.TokenDropping = new TokenDroppingSpec { SilenceDbfs = -50 };

        // Act
        var result = await new JobRunner(NullLogger<JobRunner>.Instance, TimeProvider.System)
            .RunAsync(spec, new JobRunContext("job-structured", _data.WorkDir("structured"), _ => { }), TestContext.Current.CancellationToken);

        // Assert
        var bundle = MaskBundle.Read(result.OutputPath);
        var info = Assert.IsType<StructuredPruningInfo>(bundle.StructuredPruning);
        Assert.InRange(info.ComputeKeep, 0.3, 0.6);
        Assert.Equal(0.6, info.ComputeKeepTarget);
        Assert.Equal("structured_magnitude", bundle.Lineage.InitScore);
        Assert.Equal(new TokenDroppingSettings { SilenceDbfs = -50, MarginFrames = 1 }, bundle.TokenDropping);
        Assert.NotEmpty(bundle.Masks);
        var config = TrainingTestData.TinyConfig;
        foreach (var mask in bundle.Masks.Where(m => m.Name.Contains("q_proj", StringComparison.Ordinal) || m.Name.Contains("intermediate_dense", StringComparison.Ordinal)))
        {
            var bits = mask.Unpack();
            var cols = (int)mask.Shape[1];
            var rows = Enumerable.Range(0, (int)mask.Shape[0]).Select(r => bits.Skip(r * cols).Take(cols).Distinct().Count()).ToList();
            Assert.All(rows, distinct => Assert.Equal(1, distinct)); // whole rows kept or removed
        }

        var keptUnits = bundle.Masks.Where(m => m.Name.EndsWith("intermediate_dense.weight", StringComparison.Ordinal))
            .Select(m => m.KeptCount / config.HiddenSize).ToList();
        Assert.Equal(info.Shape.FfnUnits.Where(u => u < config.IntermediateSize).Select(u => (long)u), keptUnits);
    }

    [Fact]
    public void Select_LowerTargets_KeepFewerStructuresWithinTarget()
    {
        var config = TrainingTestData.TinyConfig;
        var weights = RandomWeights(config, seed: 3);

        var selections = new[] { 0.9, 0.7, 0.5 }.Select(t => (Target: t, Selection: StructuredPruner.Select(config, weights, t))).ToList();

        Assert.All(selections, s => Assert.True(s.Selection.ComputeKeep <= s.Target, $"{s.Selection.ComputeKeep} > {s.Target}"));
        Assert.True(selections[0].Selection.ComputeKeep > selections[2].Selection.ComputeKeep);
        Assert.True(selections[2].Selection.Shape.FfnUnits.Sum() < selections[0].Selection.Shape.FfnUnits.Sum());
        Assert.True(selections[2].Selection.Shape.ConvChannels.Sum() < selections[0].Selection.Shape.ConvChannels.Sum());
        Assert.Equal(config.ConvDim[^1], selections[2].Selection.Shape.ConvChannels[^1]);
    }

    [Fact]
    public void Select_OneLoudFfnUnit_KeepsIt()
    {
        var config = TrainingTestData.TinyConfig;
        var weights = RandomWeights(config, seed: 4);
        var fc2 = weights["encoder.layers.0.feed_forward.output_dense.weight"].Data;
        for (var r = 0; r < config.HiddenSize; r++)
        {
            fc2[(r * config.IntermediateSize) + 37] *= 100;
        }

        var selection = StructuredPruner.Select(config, weights, 0.4);

        Assert.Contains(37, selection.FfnUnits[0]);
        Assert.True(selection.FfnUnits[0].Length < config.IntermediateSize);
    }

    [Fact]
    public void Resolve_ComputeKeepAboveOne_IsInvalid()
    {
        var spec = Spec(computeKeep: 1.5);

        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        Assert.Contains("compute_keep", error.Message);
    }

    private JobSpec Spec(double computeKeep) => new()
    {
        Kind = JobKind.StructuredPrune,
        Task = "intent",
        LanguageCode = "und",
        BackbonePath = _data.BackboneDir,
        Dataset = new DatasetSpec { ManifestDir = _data.CreateTones() },
        Mask = new MaskSpec { ComputeKeep = computeKeep },
        Optimization = new OptimizationSpec { MaxSteps = 3, LearningRate = 2e-2, MaxTokens = 60_000, EvalIntervalSteps = 50, CheckpointIntervalSteps = 1000 },
        Seed = 5,
    };

    private static Dictionary<string, HostTensor> RandomWeights(Core.Backbones.Wav2Vec2Config config, int seed)
    {
        var random = new Random(seed);
        return BackboneParameterShapesFor(config).ToDictionary(
            p => p.Name,
            p => new HostTensor(Enumerable.Range(0, (int)p.Shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(), p.Shape));
    }

    private static IEnumerable<(string Name, long[] Shape)> BackboneParameterShapesFor(Core.Backbones.Wav2Vec2Config config) =>
        Core.Backbones.BackboneParameterShapes.For(config).Select(p => (p.Key, p.Value));
}
