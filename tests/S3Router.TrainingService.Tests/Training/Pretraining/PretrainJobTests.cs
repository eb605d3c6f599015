using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training;
using S3Router.TrainingService.Training.Pretraining;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training.Pretraining;

public sealed class PretrainJobTests(ITestOutputHelper output) : IDisposable
{
    private readonly TrainingTestData _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task RunAsync_PretrainOnSpokenWords_LossDecreasesAndWritesLoadableBackbone()
    {
        // Arrange
        var spec = Spec(_data.CreateSpokenWords(), BackboneWithMaskEmbedding(), steps: 30);
        var losses = new List<double>();

        // Act
        var result = await Runner().RunAsync(spec, Context("pretrain", p => losses.Add(p.Loss)), TestContext.Current.CancellationToken);

        // Assert
        output.WriteLine($"loss {losses.Take(5).Average():F3} -> {losses.TakeLast(5).Average():F3}");
        Assert.Equal(30, losses.Count);
        Assert.True(losses.TakeLast(5).Average() < 0.8 * losses.Take(5).Average(), $"loss {losses.Take(5).Average()} -> {losses.TakeLast(5).Average()}");
        Assert.True(result.Metrics.ContainsKey("final_loss"));
        using var model = Wav2Vec2Model.LoadHuggingFace(result.OutputPath);
        Assert.Equal(TrainingTestData.TinyConfig.HiddenSize, model.Config.HiddenSize);
        Assert.True(File.Exists(Path.Combine(result.OutputPath, Pretrainer.PlotFileName)));
        Assert.Equal(30, LossLog.Read(Path.Combine(result.OutputPath, Pretrainer.LossFileName)).Count);
    }

    [Fact]
    public async Task RunAsync_TargetsFromItsOwnLayer_LossDecreasesAndRecordsTheTargets()
    {
        // Arrange: iteration 2 continuing from the backbone whose layer 1 gives the targets.
        var backbone = BackboneWithMaskEmbedding();
        var spec = Spec(_data.CreateSpokenWords(), backbone, steps: 30);
        spec.Pretrain = new PretrainSpec { TargetsBackbonePath = backbone, TargetsLayer = 1, Clusters = 8 };
        var losses = new List<double>();

        // Act
        var result = await Runner().RunAsync(spec, Context("layer", p => losses.Add(p.Loss)), TestContext.Current.CancellationToken);

        // Assert
        output.WriteLine($"loss {losses.Take(5).Average():F3} -> {losses.TakeLast(5).Average():F3}");
        Assert.Equal(30, losses.Count);
        Assert.True(losses.TakeLast(5).Average() < 0.8 * losses.Take(5).Average(), $"loss {losses.Take(5).Average()} -> {losses.TakeLast(5).Average()}");
        var settings = TargetSettings.TryLoad(Path.Combine(_data.WorkDir("layer"), TargetSettings.FileName));
        Assert.Equal((TargetSettings.BackboneSource, 1, 8), (settings?.Source, settings?.Layer, settings?.Clusters));
        Assert.True(File.Exists(Path.Combine(result.OutputPath, "model.safetensors")));
    }

    [Fact]
    public async Task RunAsync_AfterCancelWithCheckpoint_ResumesAtSavedStepWithSameLosses()
    {
        // Arrange
        var spec = Spec(_data.CreateSpokenWords(), BackboneWithMaskEmbedding(), steps: 10);
        spec.Optimization.CheckpointIntervalSteps = 4;
        var reference = new Dictionary<long, double>();
        var straight = await Runner().RunAsync(spec, Context("straight", p => reference[p.Step] = p.Loss), TestContext.Current.CancellationToken);
        using var cancellation = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Runner().RunAsync(spec, Context("resumed", p =>
        {
            if (p.Step == 6)
            {
                cancellation.Cancel();
            }
        }), cancellation.Token));
        var secondRun = new List<JobProgress>();

        // Act
        var result = await Runner().RunAsync(spec, Context("resumed", secondRun.Add), TestContext.Current.CancellationToken);

        // Assert: it continues at step 5 (after the checkpoint at 4) with exactly the losses and model of the uninterrupted run.
        Assert.Equal(Enumerable.Range(5, 6).Select(i => (long)i), secondRun.Select(p => p.Step));
        foreach (var progress in secondRun)
        {
            Assert.Equal(reference[progress.Step], progress.Loss);
        }

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), LossLog.Read(Path.Combine(result.OutputPath, Pretrainer.LossFileName)).Select(r => r.Step));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight.OutputPath, "model.safetensors")), File.ReadAllBytes(Path.Combine(result.OutputPath, "model.safetensors")));
    }

    [Fact]
    public async Task RunAsync_SameSeedTwice_SameLossesAndSameModel()
    {
        // Arrange: one process, so one libtorch thread count for both runs.
        var spec = Spec(_data.CreateSpokenWords(), BackboneWithMaskEmbedding(), steps: 5);
        var (first, second) = (new List<double>(), new List<double>());

        // Act
        var a = await Runner().RunAsync(spec, Context("first", p => first.Add(p.Loss)), TestContext.Current.CancellationToken);
        var b = await Runner().RunAsync(spec, Context("second", p => second.Add(p.Loss)), TestContext.Current.CancellationToken);

        // Assert: bit-identical, as the reproducibility contract promises.
        Assert.Equal(5, first.Count);
        Assert.Equal(first, second);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.OutputPath, "model.safetensors")), File.ReadAllBytes(Path.Combine(b.OutputPath, "model.safetensors")));
        Assert.Equal(JobRunner.TorchThreads(), a.TorchThreads);
        Assert.Equal(JobRunner.RecordedOneDnnLevel(LibTorchCpuIsa.Effective), a.OnednnMaxIsa);
    }

    [Fact]
    public async Task RunAsync_CheckpointOfAnotherCorpusAtTheSamePath_FailedPrecondition()
    {
        // Arrange: a finished job, then its training manifest is rewritten in place (two utterances swapped).
        var manifests = _data.CreateSpokenWords();
        var spec = Spec(manifests, BackboneWithMaskEmbedding(), steps: 2);
        await Runner().RunAsync(spec, Context("rebuilt"), TestContext.Current.CancellationToken);
        var tsv = Path.Combine(manifests, "train.tsv");
        var lines = File.ReadAllLines(tsv);
        (lines[1], lines[2]) = (lines[2], lines[1]);
        File.WriteAllLines(tsv, lines);

        // Act
        var error = await Assert.ThrowsAsync<FailedPreconditionException>(() => Runner().RunAsync(spec, Context("rebuilt"), TestContext.Current.CancellationToken));

        // Assert: the error says how to start over, targets included (they were fitted on the other corpus too).
        Assert.Contains("other data", error.Message);
        Assert.Contains(Pretrainer.KMeansFileName, error.Message);
    }

    [Fact]
    public void Run_ResumedWithAnotherThreadCount_WarnsAndResumes()
    {
        // Arrange: the thread count is what the runner passes (the process's own count is not changed).
        var options = JobOptions.Resolve(Spec(_data.CreateSpokenWords(), BackboneWithMaskEmbedding(), steps: 2));
        var context = Context("threads");
        Directory.CreateDirectory(context.WorkDirectory);
        manual_seed(options.Seed);
        new Pretrainer(NullLogger.Instance, TimeProvider.System).Run(options, context, "spec", threads: 1, oneDnnLevel: "", TestContext.Current.CancellationToken);
        var logger = new ListLogger<Pretrainer>();

        // Act
        var result = new Pretrainer(logger, TimeProvider.System).Run(options, context, "spec", threads: 2, oneDnnLevel: "", TestContext.Current.CancellationToken);

        // Assert: the job had no step left, so every step ran with 1 thread and the result says so.
        Assert.Equal(1, result.TorchThreads);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("resumed with 2 libtorch threads after steps run with 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_ResumedAtAnotherOneDnnLevel_WarnsAndResumes()
    {
        // Arrange: the level is what the runner passes (the process's own oneDNN is not changed).
        var options = JobOptions.Resolve(Spec(_data.CreateSpokenWords(), BackboneWithMaskEmbedding(), steps: 2));
        var context = Context("onednn-level");
        Directory.CreateDirectory(context.WorkDirectory);
        manual_seed(options.Seed);
        new Pretrainer(NullLogger.Instance, TimeProvider.System).Run(options, context, "spec", threads: 1, oneDnnLevel: "AVX2", TestContext.Current.CancellationToken);
        var logger = new ListLogger<Pretrainer>();

        // Act
        var result = new Pretrainer(logger, TimeProvider.System).Run(options, context, "spec", threads: 1, oneDnnLevel: "", TestContext.Current.CancellationToken);

        // Assert: the job had no step left, so every step ran at AVX2 and the result says so.
        Assert.Equal("AVX2", result.OnednnMaxIsa);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning
            && e.Message.Contains("resumed with oneDNN at its own level after steps run at AVX2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_BackboneWithoutMaskEmbedding_FailedPrecondition()
    {
        // Arrange: the shared test backbone has mask_time_prob = 0.
        var spec = Spec(_data.CreateSpokenWords(), _data.BackboneDir, steps: 2);

        // Act + Assert
        await Assert.ThrowsAsync<FailedPreconditionException>(() => Runner().RunAsync(spec, Context("no-embed"), TestContext.Current.CancellationToken));
    }

    private string BackboneWithMaskEmbedding()
    {
        var directory = Path.Combine(_data.Root, "backbone-ssl");
        manual_seed(3);
        using var model = Wav2Vec2Model.Create(TrainingTestData.TinyConfig with { MaskTimeProb = 0.05 });
        model.SaveHuggingFace(directory);
        return directory;
    }

    private static JobSpec Spec(string manifests, string backbone, long steps) => new()
    {
        Kind = JobKind.Pretrain,
        BackbonePath = backbone,
        Dataset = new DatasetSpec { ManifestDir = manifests },
        Optimization = new OptimizationSpec { MaxSteps = steps, LearningRate = 2e-3, MaxTokens = 40_000, CheckpointIntervalSteps = 1000 },
        Seed = 5,
    };

    private static JobRunner Runner() => new(NullLogger<JobRunner>.Instance, TimeProvider.System);

    private JobRunContext Context(string name, Action<JobProgress>? report = null) =>
        new("job-" + name, _data.WorkDir(name), report ?? (_ => { }));
}
