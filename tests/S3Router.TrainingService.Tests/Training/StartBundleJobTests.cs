using Microsoft.Extensions.Logging.Abstractions;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Training;

namespace S3Router.TrainingService.Tests.Training;

public sealed class StartBundleJobTests : IDisposable
{
    private readonly TrainingTestData _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task RunAsync_StructuredPruneFromRoute_KeepsEveryRouteZeroAndPrunesToComputeTarget()
    {
        // Arrange
        var routePath = Path.Combine(_data.Root, "route.safetensors");
        var route = RouteBundles.Write(routePath, BackboneDigest());
        var spec = Spec(JobKind.StructuredPrune, routePath);
        spec.Mask = new MaskSpec { ComputeKeep = 0.6 };

        // Act
        var result = await Run(spec, "structured");

        // Assert
        var bundle = MaskBundle.Read(result.OutputPath);
        var info = Assert.IsType<Core.Pruning.StructuredPruningInfo>(bundle.StructuredPruning);
        Assert.InRange(info.ComputeKeep, 0.3, 0.6);
        Assert.Equal(info.ComputeKeep, bundle.Lineage.PruneRate, 6);
        Assert.Equal(Sha256Digest.OfFile(routePath), bundle.Lineage.ParentBundleDigest);
        var output = bundle.Masks.ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var routeMask in route.Masks)
        {
            var kept = Assert.Contains(routeMask.Name, output).Unpack();
            var routeKept = routeMask.Unpack();
            Assert.All(Enumerable.Range(0, kept.Length), i => Assert.True(routeKept[i] || !kept[i], $"{routeMask.Name}[{i}] is zero in the route but kept"));
        }

        // The removed structures come on top of the route's zeros.
        var routeNames = route.Masks.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        Assert.True(bundle.Masks.Where(m => routeNames.Contains(m.Name)).Sum(m => m.KeptCount) < route.Masks.Sum(m => m.KeptCount));
    }

    [Fact]
    public async Task RunAsync_HeadJobFromRoute_KeepsRouteMasksAndStartsFromRouteHead()
    {
        // Arrange
        var routePath = Path.Combine(_data.Root, "route.safetensors");
        var route = RouteBundles.Write(routePath, BackboneDigest());
        var spec = Spec(JobKind.Head, routePath);
        spec.Optimization.MaxSteps = 1;
        spec.Optimization.LearningRate = 1e-12; // the head barely moves from where it started

        // Act
        var result = await Run(spec, "head");

        // Assert
        var bundle = MaskBundle.Read(result.OutputPath);
        Assert.Equal(route.Masks.Select(m => (m.Name, m.Packed.ToArray())), bundle.Masks.Select(m => (m.Name, m.Packed.ToArray())), new MaskComparer());
        Assert.Equal(route.Labels, bundle.Labels);
        Assert.Equal(Sha256Digest.OfFile(routePath), bundle.Lineage.ParentBundleDigest);
        Assert.Equal(0.5, bundle.Lineage.PruneRate);
        foreach (var (expected, actual) in route.Heads.Zip(bundle.Heads))
        {
            Assert.Equal(expected.Name, actual.Name);
            Assert.All(expected.Values.ToArray().Zip(actual.Values.ToArray()), p => Assert.Equal(p.First, p.Second, 1e-5));
        }
    }

    [Fact]
    public async Task RunAsync_RouteOfAnotherBackbone_ThrowsFailedPrecondition()
    {
        // Arrange: the runner checks again, for a job whose validation was skipped or whose backbone changed since.
        var routePath = Path.Combine(_data.Root, "other.safetensors");
        RouteBundles.Write(routePath, new string('a', 64));

        // Act
        var error = await Assert.ThrowsAsync<FailedPreconditionException>(() => Run(Spec(JobKind.StructuredPrune, routePath), "other"));

        // Assert
        Assert.Contains("backbone", error.Message);
    }

    [Fact]
    public void Resolve_StartBundleOnMaskJob_IsInvalid()
    {
        var spec = Spec(JobKind.Mask, "/routes/r.safetensors");

        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        Assert.Contains("start_bundle_path", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Resolve_StartBundleWithFinetunedModel_IsInvalid()
    {
        var spec = Spec(JobKind.StructuredPrune, "/routes/r.safetensors");
        spec.FinetunedModelPath = "/models/ft";

        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        Assert.Contains("exclude each other", error.Message);
    }

    private string BackboneDigest() => Sha256Digest.OfFile(Path.Combine(_data.BackboneDir, "model.safetensors"));

    private Task<JobResult> Run(JobSpec spec, string name) =>
        new JobRunner(NullLogger<JobRunner>.Instance, TimeProvider.System)
            .RunAsync(spec, new JobRunContext("job-" + name, _data.WorkDir(name), _ => { }), TestContext.Current.CancellationToken);

    private JobSpec Spec(JobKind kind, string startBundle) => new()
    {
        Kind = kind,
        Task = "intent",
        LanguageCode = "und",
        BackbonePath = _data.BackboneDir,
        StartBundlePath = startBundle,
        Dataset = new DatasetSpec { ManifestDir = _data.CreateTones() },
        Optimization = new OptimizationSpec { MaxSteps = 3, LearningRate = 2e-2, MaxTokens = 60_000, EvalIntervalSteps = 50, CheckpointIntervalSteps = 1000 },
        Seed = 5,
    };

    private sealed class MaskComparer : IEqualityComparer<(string Name, byte[] Packed)>
    {
        public bool Equals((string Name, byte[] Packed) x, (string Name, byte[] Packed) y) => x.Name == y.Name && x.Packed.AsSpan().SequenceEqual(y.Packed);

        public int GetHashCode((string Name, byte[] Packed) obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }
}
