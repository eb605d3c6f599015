using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training;
using S3Router.TrainingService.Training.Heads;

namespace S3Router.TrainingService.Tests.Training;

public sealed class JobRunnerTests(ITestOutputHelper output) : IDisposable
{
    private readonly TrainingTestData _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task RunAsync_MaskJobOnSpokenWords_LowersLossAndCerBelowUntrainedHead()
    {
        // Arrange
        var manifests = _data.CreateSpokenWords();
        var untrainedSpec = _data.AsrSpec(JobKind.Mask, manifests, steps: 1, lr: 1e-12);
        var spec = _data.AsrSpec(JobKind.Mask, manifests, steps: 300, lr: 2e-2);
        var losses = new List<double>();

        // Act
        var untrained = await Runner().RunAsync(untrainedSpec, Context("untrained"), TestContext.Current.CancellationToken);
        var trained = await Runner().RunAsync(spec, Context("trained", p => { if (p.Phase.Length == 0) { losses.Add(p.Loss); } }), TestContext.Current.CancellationToken);

        // Assert
        output.WriteLine($"untrained CER {untrained.Metrics["test_cer"]:F3}, trained CER {trained.Metrics["test_cer"]:F3} (beam {trained.Metrics["test_cer_beam"]:F3}), loss {losses.Take(10).Average():F2} -> {losses.TakeLast(10).Average():F2}");
        Assert.Equal(300, losses.Count);
        Assert.True(losses.TakeLast(10).Average() < 0.5 * losses.Take(10).Average());
        Assert.True(trained.Metrics["test_cer"] < 0.5, $"trained CER {trained.Metrics["test_cer"]}");
        Assert.True(trained.Metrics["test_cer"] < untrained.Metrics["test_cer"] - 0.3);
    }

    [Fact]
    public async Task RunAsync_MaskJobWithHeadWarmup_StartsFromATrainedHead()
    {
        // Arrange: one job step at a negligible learning rate, so the test loss shows the head the job started from.
        var manifests = _data.CreateSpokenWords();
        var plain = _data.AsrSpec(JobKind.Mask, manifests, steps: 1, lr: 1e-12);
        var warmed = plain.Clone();
        warmed.Optimization.HeadWarmupSteps = 300;
        warmed.Optimization.HeadWarmupLearningRate = 2e-2;

        // Act
        var withoutWarmup = await Runner().RunAsync(plain, Context("plain"), TestContext.Current.CancellationToken);
        var withWarmup = await Runner().RunAsync(warmed, Context("warmed"), TestContext.Current.CancellationToken);

        // Assert
        output.WriteLine($"test loss {withoutWarmup.Metrics["test_loss"]:F2} -> {withWarmup.Metrics["test_loss"]:F2}, CER {withoutWarmup.Metrics["test_cer"]:F3} -> {withWarmup.Metrics["test_cer"]:F3}");
        Assert.True(withWarmup.Metrics["test_loss"] < 0.5 * withoutWarmup.Metrics["test_loss"]);
        Assert.True(withWarmup.Metrics["test_cer"] < withoutWarmup.Metrics["test_cer"]);
    }

    [Fact]
    public async Task RunAsync_MaskJobOnToneClasses_LearnsSeparableClasses()
    {
        // Arrange
        var spec = ClassifierSpec(JobKind.Mask, steps: 200, pooling: "mean");

        // Act
        var result = await Runner().RunAsync(spec, Context("tones"), TestContext.Current.CancellationToken);

        // Assert
        output.WriteLine($"accuracy {result.Metrics["test_accuracy"]:F3}, macro-F1 {result.Metrics["test_macro_f1"]:F3}");
        Assert.True(result.Metrics["test_accuracy"] >= 0.8, $"accuracy {result.Metrics["test_accuracy"]}");
        Assert.True(result.Metrics["test_macro_f1"] >= 0.75);
        var bundle = MaskBundle.Read(result.OutputPath);
        Assert.Equal(MaskHeadKind.Classifier, bundle.HeadKind);
        Assert.Equal(["clicks", "noise", "tone"], bundle.Labels);
        Assert.DoesNotContain(bundle.Heads, h => h.Name == "head.attention.weight");
    }

    [Fact]
    public async Task RunAsync_CancelledDuringStep3_StopsBeforeStep4()
    {
        // Arrange
        var spec = _data.AsrSpec(JobKind.Mask, _data.CreateSpokenWords(), steps: 100, lr: 1e-3);
        using var cancellation = new CancellationTokenSource();
        var steps = new List<long>();

        // Act
        var run = Runner().RunAsync(spec, Context("cancel", p =>
        {
            steps.Add(p.Step);
            if (p.Step == 3)
            {
                cancellation.Cancel();
            }
        }), cancellation.Token);

        // Assert
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal([1L, 2L, 3L], steps);
    }

    [Fact]
    public async Task RunAsync_AfterCancelWithCheckpoint_ResumesAtSavedStepWithSameLosses()
    {
        // Arrange
        var manifests = _data.CreateSpokenWords();
        var spec = _data.AsrSpec(JobKind.Mask, manifests, steps: 12, lr: 1e-2);
        spec.Optimization.CheckpointIntervalSteps = 5;
        var reference = new Dictionary<long, double>();
        var referenceResult = await Runner().RunAsync(spec, Context("straight", p => reference[p.Step] = p.Loss), TestContext.Current.CancellationToken);
        using var cancellation = new CancellationTokenSource();
        var firstRun = new List<JobProgress>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Runner().RunAsync(spec, Context("resumed", p =>
        {
            firstRun.Add(p);
            if (p.Step == 7)
            {
                cancellation.Cancel();
            }
        }), cancellation.Token));
        var secondRun = new List<JobProgress>();

        // Act
        var result = await Runner().RunAsync(spec, Context("resumed", p => { if (p.Phase.Length == 0) { secondRun.Add(p); } }), TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(5, firstRun[^1].CheckpointStep);
        Assert.Equal(Enumerable.Range(6, 7).Select(i => (long)i), secondRun.Select(p => p.Step));
        foreach (var progress in secondRun)
        {
            Assert.Equal(reference[progress.Step], progress.Loss);
        }

        Assert.Equal(referenceResult.Metrics, result.Metrics);
    }

    [Theory]
    [InlineData(JobKind.Head, "stats")]
    [InlineData(JobKind.Mask, "mean")]
    public async Task RunAsync_SameJobTwice_GivesIdenticalLossesHeadTensorsAndMetrics(JobKind kind, string pooling)
    {
        // Arrange
        var spec = ClassifierSpec(kind, steps: 30, pooling: pooling);
        spec.Optimization.EvalIntervalSteps = 10;
        var (firstLosses, secondLosses) = (new List<double>(), new List<double>());

        // Act
        var first = await Runner().RunAsync(spec, Context("first", StepLosses(firstLosses)), TestContext.Current.CancellationToken);
        var second = await Runner().RunAsync(spec, Context("second", StepLosses(secondLosses)), TestContext.Current.CancellationToken);

        // Assert: bit for bit, not approximately.
        Assert.Equal(30, firstLosses.Count);
        Assert.Equal(firstLosses, secondLosses);
        Assert.Equal(first.Metrics, second.Metrics);
        var (a, b) = (MaskBundle.Read(first.OutputPath), MaskBundle.Read(second.OutputPath));
        AssertSameHeads(a, b);
        Assert.Equal(a.Masks.Select(m => m.Packed.ToArray()), b.Masks.Select(m => m.Packed.ToArray()));
        Assert.Equal(JobRunner.TorchThreads(), a.Lineage.TorchThreads);
    }

    [Fact]
    public async Task RunAsync_HeadJobCancelledAfterCheckpointThenResumed_MatchesUninterruptedRun()
    {
        // Arrange: checkpoints every 10 steps, the run is cancelled at step 15 and resumed from step 10.
        var spec = ClassifierSpec(JobKind.Head, steps: 30, pooling: "stats");
        spec.Optimization.CheckpointIntervalSteps = 10;
        var straightLosses = new List<double>();
        var straight = await Runner().RunAsync(spec, Context("straight", StepLosses(straightLosses)), TestContext.Current.CancellationToken);
        using var cancellation = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Runner().RunAsync(spec, Context("resumed", p =>
        {
            if (p.Phase.Length == 0 && p.Step == 15)
            {
                cancellation.Cancel();
            }
        }), cancellation.Token));
        var resumedLosses = new List<double>();

        // Act
        var resumed = await Runner().RunAsync(spec, Context("resumed", StepLosses(resumedLosses)), TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(straightLosses.Skip(10), resumedLosses);
        Assert.Equal(straight.Metrics, resumed.Metrics);
        AssertSameHeads(MaskBundle.Read(straight.OutputPath), MaskBundle.Read(resumed.OutputPath));
    }

    [Fact]
    public async Task RunAsync_HeadJob_CachesValidFeaturesAndScoresValidAsTheBackboneWould()
    {
        // Arrange: a head job that evaluates on valid at its last step.
        var spec = SmallConvMaxSpec();
        spec.Optimization.EvalIntervalSteps = 20;
        var reports = new List<JobProgress>();

        // Act
        var result = await Runner().RunAsync(spec, Context("valid-cache", p => { lock (reports) { reports.Add(p.Clone()); } }), TestContext.Current.CancellationToken);
        var rescored = Rescore(result, spec, "valid");

        // Assert: both splits were cached before the first step, and the valid metrics from the cached features are the
        // ones the backbone gives for the finished route.
        var firstStep = reports.FindIndex(p => p.Phase.Length == 0);
        var cachedTotals = reports.Take(firstStep).Where(p => p.Phase == "caching_features").Select(p => p.PhaseTotal).Distinct().ToList();
        Assert.Equal([Utterances(spec, "train"), Utterances(spec, "valid")], cachedTotals);
        var valid = reports.Last(p => p.Phase.Length == 0).EvalMetrics;
        Assert.Equal(rescored.Metrics["valid_accuracy"], valid["valid_accuracy"], 6);
        Assert.Equal(rescored.Metrics["valid_macro_f1"], valid["valid_macro_f1"], 6);
    }

    [Fact]
    public async Task RunAsync_HeadJobsOfASweepWithAFeatureCacheDirectory_SecondLoadsBothSplitsAndTrainsAsWithout()
    {
        // Arrange: a sweep of two seeds on one corpus and backbone, sharing a cache directory; the reference runs the
        // second seed without it. A stats head reads the all-states features. (Not conv_max: libtorch's CPU conv1d
        // backward gives NaN gradients now and then on AVX-512 machines, so conv_max runs differ with or without a cache.)
        var spec = AllStatesSpec();
        var secondSeed = spec.Clone();
        secondSeed.Seed = 6;
        var cache = Path.Combine(_data.Root, "feature-cache");
        var (first, second) = (new List<JobProgress>(), new List<JobProgress>());
        var (secondLosses, referenceLosses) = (new List<double>(), new List<double>());
        var logger = new ListLogger<JobRunner>();
        JobResult swept;
        using (FeatureCacheDirectory(cache))
        {
            await Runner().RunAsync(spec, Context("sweep-1", Reports(first)), TestContext.Current.CancellationToken);

            // Act
            swept = await Runner(logger).RunAsync(secondSeed, Context("sweep-2", p => { Reports(second)(p); StepLosses(secondLosses)(p); }), TestContext.Current.CancellationToken);
        }

        var reference = await Runner().RunAsync(secondSeed, Context("reference", StepLosses(referenceLosses)), TestContext.Current.CancellationToken);

        // Assert: the first job computed and stored both splits, the second loaded both without running the backbone
        // (no caching phase), and trained bit for bit as the job without the cache.
        long[] splits = [Utterances(spec, "train"), Utterances(spec, "valid")];
        Assert.Equal(splits, PhaseTotals(first, "caching_features"));
        Assert.Equal(2, Directory.GetFiles(cache).Length);
        Assert.Empty(PhaseTotals(second, "caching_features"));
        Assert.Equal(splits, PhaseTotals(second, "loading_features"));
        Assert.Equal(splits, PhaseTotals(first, "hashing_audio"));
        Assert.Equal(splits, PhaseTotals(second, "hashing_audio"));
        Assert.All(new[] { first, second }, reports => Assert.Contains(reports, p => p.Phase == "hashing_audio" && p.PhaseDone == p.PhaseTotal));
        Assert.Equal(2, logger.Entries.Count(e => e.Message.Contains("loaded from " + cache, StringComparison.Ordinal)));
        Assert.Equal(referenceLosses, secondLosses);
        Assert.Equal(reference.Metrics, swept.Metrics);
        AssertSameHeads(MaskBundle.Read(reference.OutputPath), MaskBundle.Read(swept.OutputPath));
    }

    [Fact]
    public async Task RunAsync_FeatureCacheAfterOtherAudioOrOtherBackbone_ComputesThoseFeaturesAgain()
    {
        // Arrange: a job stores both splits; then one training file gets other sounds of the same length (the
        // manifests do not change), and a second backbone of the same shape is saved.
        var spec = AllStatesSpec();
        var cache = Path.Combine(_data.Root, "feature-cache");
        var otherBackbone = Path.Combine(_data.Root, "backbone-other");
        TorchSharp.torch.manual_seed(8);
        using (var model = Wav2Vec2Model.Create(TrainingTestData.TinyConfig))
        {
            model.SaveHuggingFace(otherBackbone);
        }

        var onOtherBackbone = spec.Clone();
        onOtherBackbone.BackbonePath = otherBackbone;
        var (afterAudio, afterBackbone) = (new List<JobProgress>(), new List<JobProgress>());
        using (FeatureCacheDirectory(cache))
        {
            await Runner().RunAsync(spec, Context("stored"), TestContext.Current.CancellationToken);
            var wav = Path.Combine(spec.Dataset.ManifestDir, File.ReadLines(Path.Combine(spec.Dataset.ManifestDir, "train.tsv")).ElementAt(1).Split('\t')[0]);
            var audio = S3Router.TrainingService.Training.Data.AudioLoader.Load(wav);
            File.WriteAllBytes(wav, S3Router.Core.Audio.WavWriter.Write(audio.Select(v => -v).ToArray(), 16000));

            // Act
            await Runner().RunAsync(spec, Context("other-audio", Reports(afterAudio)), TestContext.Current.CancellationToken);
            await Runner().RunAsync(onOtherBackbone, Context("other-backbone", Reports(afterBackbone)), TestContext.Current.CancellationToken);
        }

        // Assert: other audio is another training set (its valid set loads); another backbone is another everything.
        Assert.Equal([Utterances(spec, "train")], PhaseTotals(afterAudio, "caching_features"));
        Assert.Equal([Utterances(spec, "valid")], PhaseTotals(afterAudio, "loading_features"));
        Assert.Equal([Utterances(spec, "train"), Utterances(spec, "valid")], PhaseTotals(afterBackbone, "caching_features"));
        Assert.Empty(PhaseTotals(afterBackbone, "loading_features"));
        Assert.Equal(5, Directory.GetFiles(cache).Length);
    }

    [Fact]
    public async Task RunAsync_MaskJobWarmupsWithAFeatureCacheDirectory_LoadTheFeaturesOfTheSameInitialMasksOnly()
    {
        // Arrange: head warm-ups of mask jobs run on the backbone under the job's initial masks (weight_rank: the
        // largest weights, whatever the seed), so another keep ratio is another backbone.
        var spec = _data.AsrSpec(JobKind.Mask, _data.CreateSpokenWords(), steps: 1, lr: 1e-3);
        spec.Optimization.HeadWarmupSteps = 5;
        spec.Optimization.HeadWarmupLearningRate = 1e-2;
        var otherSeed = spec.Clone();
        otherSeed.Seed = 12;
        var otherKeep = spec.Clone();
        otherKeep.Mask = new MaskSpec { PruneRate = 0.5 };
        var cache = Path.Combine(_data.Root, "feature-cache");
        var (sameMasks, otherMasks) = (new List<JobProgress>(), new List<JobProgress>());
        using (FeatureCacheDirectory(cache))
        {
            await Runner().RunAsync(spec, Context("stored"), TestContext.Current.CancellationToken);

            // Act
            await Runner().RunAsync(otherSeed, Context("other-seed", Reports(sameMasks)), TestContext.Current.CancellationToken);
            await Runner().RunAsync(otherKeep, Context("other-keep", Reports(otherMasks)), TestContext.Current.CancellationToken);
        }

        // Assert
        Assert.Equal([Utterances(spec, "train")], PhaseTotals(sameMasks, "loading_features"));
        Assert.Empty(PhaseTotals(sameMasks, "caching_features"));
        Assert.Equal([Utterances(spec, "train")], PhaseTotals(otherMasks, "caching_features"));
        Assert.Equal(2, Directory.GetFiles(cache).Length);
    }

    [Fact]
    public async Task RunAsync_TruncatedFeatureCacheFile_WarnsComputesAgainAndTrainsAsBefore()
    {
        // Arrange: a head job without valid evaluation stores its training features; the file is then cut short.
        var spec = ClassifierSpec(JobKind.Head, steps: 10, pooling: "mean");
        var cache = Path.Combine(_data.Root, "feature-cache");
        var logger = new ListLogger<JobRunner>();
        var reports = new List<JobProgress>();
        JobResult stored, recomputed;
        string file;
        long length;
        using (FeatureCacheDirectory(cache))
        {
            stored = await Runner().RunAsync(spec, Context("stored"), TestContext.Current.CancellationToken);
            file = Assert.Single(Directory.GetFiles(cache));
            length = new FileInfo(file).Length;
            using (var stream = File.OpenWrite(file))
            {
                stream.SetLength(length / 2);
            }

            // Act
            recomputed = await Runner(logger).RunAsync(spec, Context("recomputed", Reports(reports)), TestContext.Current.CancellationToken);
        }

        // Assert: a warning names the file, the features were computed again and stored whole, the result is the same.
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains(file, StringComparison.Ordinal));
        Assert.Equal([Utterances(spec, "train")], PhaseTotals(reports, "caching_features"));
        Assert.Equal(length, new FileInfo(file).Length);
        Assert.Equal(stored.Metrics, recomputed.Metrics);
        AssertSameHeads(MaskBundle.Read(stored.OutputPath), MaskBundle.Read(recomputed.OutputPath));
    }

    [Fact]
    public async Task RunAsync_UnwritableFeatureCacheDirectory_WarnsAndFinishesWithFeaturesInMemory()
    {
        // Arrange: a directory under a regular file cannot be created, whoever runs the test (root ignores permissions).
        var spec = ClassifierSpec(JobKind.Head, steps: 3, pooling: "mean");
        var file = Path.Combine(_data.Root, "not-a-directory");
        File.WriteAllText(file, "");
        var logger = new ListLogger<JobRunner>();
        JobResult result;
        using (FeatureCacheDirectory(Path.Combine(file, "cache")))
        {
            // Act
            result = await Runner(logger).RunAsync(spec, Context("unwritable"), TestContext.Current.CancellationToken);
        }

        // Assert
        Assert.True(File.Exists(result.OutputPath));
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("cannot be stored", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_AnyJob_LogsLibTorchThreadsAndOneDnnLevel()
    {
        // Arrange: both move the last bits of a route (docs/formats.md, reproducibility), so a job's log names them.
        var spec = ClassifierSpec(JobKind.Head, steps: 2, pooling: "mean");
        var logger = new ListLogger<JobRunner>();

        // Act
        await Runner(logger).RunAsync(spec, Context("settings"), TestContext.Current.CancellationToken);

        // Assert
        Assert.Contains(logger.Entries, e => e.Message.Contains($"libtorch runs {TorchSharp.torch.get_num_threads()} threads, oneDNN at {LibTorchCpuIsa.Effective ?? "its own level"}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_FinishedHeadJob_BundleLineageAndResultRecordTheOneDnnLevel()
    {
        // Arrange
        var spec = ClassifierSpec(JobKind.Head, steps: 2, pooling: "mean");

        // Act
        var result = await Runner().RunAsync(spec, Context("onednn-level"), TestContext.Current.CancellationToken);

        // Assert: the level in force in this process, as recorded (AVX2 when capped on an AVX-512 CPU; a user's value
        // in upper case; empty: oneDNN's own choice).
        var expected = JobRunner.RecordedOneDnnLevel(LibTorchCpuIsa.Effective);
        Assert.Equal(expected, result.OnednnMaxIsa);
        Assert.Equal(expected, MaskBundle.Read(result.OutputPath).Lineage.OneDnnMaxIsa);
    }

    [Fact]
    public async Task RunAsync_WeightsJob_HeadFileRecordsThreadsAndOneDnnLevel()
    {
        // Arrange
        var spec = ClassifierSpec(JobKind.Weights, steps: 2, pooling: "mean");

        // Act
        var result = await Runner().RunAsync(spec, Context("weights-level"), TestContext.Current.CancellationToken);

        // Assert
        var expected = JobRunner.RecordedOneDnnLevel(LibTorchCpuIsa.Effective);
        Assert.Equal(expected, result.OnednnMaxIsa);
        using var head = SafetensorsFile.Open(Path.Combine(result.OutputPath, HeadFile.FileName));
        Assert.Equal(result.TorchThreads.ToString(CultureInfo.InvariantCulture), head.Metadata["torch_threads"]);
        Assert.Equal(expected, head.Metadata.GetValueOrDefault("onednn_max_isa", ""));
    }

    [Fact]
    public async Task RunAsync_FinishedJobResumedAtAnotherOneDnnLevel_WarnsAndKeepsTheLevelItsStepsRanAt()
    {
        // Arrange: a finished job whose last checkpoint says its steps ran at another level than this process's.
        var spec = ClassifierSpec(JobKind.Head, steps: 2, pooling: "mean");
        var context = Context("other-level");
        await Runner().RunAsync(spec, context, TestContext.Current.CancellationToken);
        var level = JobRunner.RecordedOneDnnLevel(LibTorchCpuIsa.Effective);
        var other = level == "SSE41" ? "AVX" : "SSE41";
        RewriteCheckpointState(context.WorkDirectory, state => state["OneDnnMaxIsa"] = other);
        var logger = new ListLogger<JobRunner>();

        // Act
        var result = await Runner(logger).RunAsync(spec, context, TestContext.Current.CancellationToken);

        // Assert: no step ran now, so the bundle's tensors are the checkpoint's and so is the level.
        Assert.Equal(other, result.OnednnMaxIsa);
        Assert.Equal(other, MaskBundle.Read(result.OutputPath).Lineage.OneDnnMaxIsa);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning
            && e.Message.Contains($"resumed with oneDNN at {JobRunner.DescribeOneDnnLevel(level)} after steps run at {other}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_CheckpointOfOtherDataAtTheSamePath_IsRefused()
    {
        // Arrange: a finished job, then its training manifest is rewritten in place (two utterances swapped).
        var spec = ClassifierSpec(JobKind.Head, steps: 3, pooling: "mean");
        await Runner().RunAsync(spec, Context("rebuilt"), TestContext.Current.CancellationToken);
        var tsv = Path.Combine(spec.Dataset.ManifestDir, "train.tsv");
        var lines = File.ReadAllLines(tsv);
        (lines[1], lines[2]) = (lines[2], lines[1]);
        File.WriteAllLines(tsv, lines);

        // Act + Assert
        var error = await Assert.ThrowsAsync<FailedPreconditionException>(() => Runner().RunAsync(spec, Context("rebuilt"), TestContext.Current.CancellationToken));
        Assert.Contains("other data", error.Message);
    }

    [Fact]
    public async Task RunAsync_MaskJob_WritesBundleWithRequestedKeepRatioPerTensor()
    {
        // Arrange
        var spec = _data.AsrSpec(JobKind.Mask, _data.CreateSpokenWords(), steps: 5, lr: 1e-2);
        spec.Mask = new MaskSpec { PruneRate = 0.5, Scope = S3Router.Api.V1.MaskScope.FfnAttention };

        // Act
        var result = await Runner().RunAsync(spec, Context("bundle"), TestContext.Current.CancellationToken);

        // Assert
        var bundle = MaskBundle.Read(result.OutputPath);
        Assert.Equal("sha256:" + Sha256Digest.OfFile(result.OutputPath), result.BundleDigest);
        Assert.Equal(Sha256Digest.OfFile(Path.Combine(_data.BackboneDir, "model.safetensors")), bundle.BackboneDigest);
        Assert.Equal(2 * 6, bundle.Masks.Count); // 2 layers x (fc1, fc2, q, k, v, out)
        Assert.Contains(bundle.Masks, m => m.Name == "encoder.layers.0.attention.q_proj.weight");
        Assert.All(bundle.Masks, m => Assert.InRange(m.KeepRatio, 0.5 - (1.0 / m.ElementCount), 0.5 + (1.0 / m.ElementCount)));
        Assert.Equal("<blank>", bundle.Labels[0]);
        Assert.Equal("|", bundle.Labels[1]);
        Assert.Equal(["head.proj.bias", "head.proj.weight"], bundle.Heads.Select(h => h.Name));
        Assert.Equal([bundle.Labels.Count, 32L], bundle.Heads[1].Shape);
        Assert.Equal("job-bundle", bundle.Lineage.JobId);
        Assert.Equal(0.5, bundle.Lineage.PruneRate);
        Assert.Equal("weight_rank", bundle.Lineage.InitScore);
        Assert.True(Sha256Digest.IsValid(bundle.Lineage.DatasetDigest));
        Assert.Equal(result.Metrics["test_cer"], bundle.Metrics["test_cer"]);
    }

    [Fact]
    public async Task RunAsync_WeightsThenPrune_WritesModelAndPrunedBundleOnIt()
    {
        // Arrange
        var manifests = _data.CreateSpokenWords();
        var weightsSpec = _data.AsrSpec(JobKind.Weights, manifests, steps: 4, lr: 1e-3);
        weightsSpec.Optimization.FreezeSteps = 2;

        // Act
        var weights = await Runner().RunAsync(weightsSpec, Context("weights"), TestContext.Current.CancellationToken);
        var pruneSpec = _data.AsrSpec(JobKind.Prune, manifests, steps: 3, lr: 1e-3);
        pruneSpec.FinetunedModelPath = weights.OutputPath;
        var prune = await Runner().RunAsync(pruneSpec, Context("prune"), TestContext.Current.CancellationToken);

        // Assert
        Assert.Empty(weights.BundleDigest);
        using var original = Wav2Vec2Model.LoadHuggingFace(_data.BackboneDir);
        using var finetuned = Wav2Vec2Model.LoadHuggingFace(weights.OutputPath);
        var before = original.BackboneWeights();
        var after = finetuned.BackboneWeights();
        Assert.Equal(before["feature_extractor.conv_layers.0.conv.weight"].Data, after["feature_extractor.conv_layers.0.conv.weight"].Data);
        Assert.NotEqual(before["encoder.layers.0.feed_forward.output_dense.weight"].Data, after["encoder.layers.0.feed_forward.output_dense.weight"].Data);
        Assert.True(File.Exists(Path.Combine(weights.OutputPath, "head.safetensors")));

        var bundle = MaskBundle.Read(prune.OutputPath);
        Assert.Equal(Sha256Digest.OfFile(Path.Combine(weights.OutputPath, "model.safetensors")), bundle.BackboneDigest);
        Assert.Contains(bundle.Masks, m => m.Name == "encoder.layers.1.attention.out_proj.weight");
        Assert.All(bundle.Masks, m => Assert.InRange(m.KeepRatio, 0.3 - (1.0 / m.ElementCount), 0.3 + (1.0 / m.ElementCount)));
        Assert.Equal("weight_magnitude_with_scale", bundle.Lineage.InitScore);
    }

    [Fact]
    public async Task RunAsync_HeadJobWithAttentivePooling_WritesBundleWithoutMasks()
    {
        // Arrange
        var spec = ClassifierSpec(JobKind.Head, steps: 3, pooling: "attentive");

        // Act
        var result = await Runner().RunAsync(spec, Context("head"), TestContext.Current.CancellationToken);

        // Assert
        var bundle = MaskBundle.Read(result.OutputPath);
        Assert.Empty(bundle.Masks);
        Assert.Equal(["head.attention.bias", "head.attention.weight", "head.proj.bias", "head.proj.weight"], bundle.Heads.Select(h => h.Name));
        Assert.Contains("test_accuracy", result.Metrics.Keys);
    }

    [Fact]
    public async Task RunAsync_HeadJob_ReportsFeatureCachingBeforeItsStepsAndTestingAfterThem()
    {
        // Arrange
        var spec = ClassifierSpec(JobKind.Head, steps: 3, pooling: "mean");
        var reports = new List<JobProgress>();

        // Act
        await Runner().RunAsync(spec, Context("phases", p => { lock (reports) { reports.Add(p.Clone()); } }), TestContext.Current.CancellationToken);

        // Assert: minutes of caching show as such (not as "step 0"), then steps without a phase, then the test split.
        var firstStep = reports.FindIndex(p => p.Phase.Length == 0);
        var caching = reports.Where(p => p.Phase == "caching_features").ToList();
        Assert.NotEmpty(caching);
        Assert.True(reports.FindLastIndex(p => p.Phase == "caching_features") < firstStep);
        Assert.Equal(caching[^1].PhaseTotal, caching[^1].PhaseDone);
        Assert.All(caching, p => Assert.Equal(0, p.Step));
        Assert.Equal(3, reports.Where(p => p.Phase.Length == 0).Max(p => p.Step));
        var testing = reports[^1];
        Assert.Equal("testing", testing.Phase);
        Assert.True(testing.PhaseTotal > 0);
        Assert.Equal(testing.PhaseTotal, testing.PhaseDone);
        Assert.Equal(reports.Last(p => p.Phase.Length == 0).Loss, testing.Loss); // the last step's figures stay visible
        Assert.Equal(3, testing.Step);
    }

    [Fact]
    public async Task RunAsync_MaskJobWithStatsPooling_WritesStandardizedHeadThatScoresAsTheJobDid()
    {
        // Arrange
        var spec = ClassifierSpec(JobKind.Mask, steps: 30, pooling: "stats");
        var width = 2 * TrainingTestData.TinyConfig.AllStatesWidth;

        // Act
        var result = await Runner().RunAsync(spec, Context("stats"), TestContext.Current.CancellationToken);
        var score = Rescore(result, spec);

        // Assert: the evaluator rebuilds the head from the bundle alone, so equal metrics mean the bundle holds all of it.
        var bundle = MaskBundle.Read(result.OutputPath);
        Assert.NotEmpty(bundle.Masks);
        var shapes = bundle.Heads.ToDictionary(h => h.Name, h => h.Shape.ToArray());
        Assert.Equal(["head.norm.mean", "head.norm.std", "head.proj.bias", "head.proj.weight"], shapes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([width], shapes["head.norm.std"]);
        Assert.Equal([bundle.Labels.Count, width], shapes["head.proj.weight"]);
        Assert.All(bundle.Heads.Single(h => h.Name == "head.norm.std").Values.ToArray(), v => Assert.True(v > 0));
        Assert.Equal(result.Metrics["test_accuracy"], score.Metrics["test_accuracy"], 6);
    }

    [Fact]
    public async Task RunAsync_HeadJobWithConvMaxPooling_WritesConvMaxHeadThatTheEvaluatorRebuilds()
    {
        // Arrange: a small conv_max head (8 channels, kernel 3) with weight decay on the tones.
        var spec = SmallConvMaxSpec();
        spec.Optimization.HeadWeightDecay = 0.01;
        var config = TrainingTestData.TinyConfig;

        // Act
        var result = await Runner().RunAsync(spec, Context("convmax"), TestContext.Current.CancellationToken);
        var score = Rescore(result, spec);

        // Assert: the evaluator rebuilds the head from the bundle alone (its kind from head.layer_logits, its width and
        // kernel from head.conv.weight), so equal metrics mean the bundle holds all of it.
        var bundle = MaskBundle.Read(result.OutputPath);
        Assert.Empty(bundle.Masks);
        var shapes = bundle.Heads.ToDictionary(h => h.Name, h => h.Shape.ToArray());
        Assert.Equal(
            ["head.conv.bias", "head.conv.weight", "head.layer_logits", "head.norm.bias", "head.norm.weight", "head.proj.bias", "head.proj.weight"],
            shapes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([config.NumHiddenLayers + 1L], shapes["head.layer_logits"]);
        Assert.Equal([8L, config.HiddenSize, 3], shapes["head.conv.weight"]);
        Assert.Equal([bundle.Labels.Count, 8L], shapes["head.proj.weight"]);
        Assert.NotEqual(new float[config.NumHiddenLayers + 1], bundle.Heads.Single(h => h.Name == "head.layer_logits").Values.ToArray());
        Assert.Equal(result.Metrics["test_accuracy"], score.Metrics["test_accuracy"], 6);
        Assert.Equal(result.Metrics["test_loss"], score.Metrics["test_loss"], 4);
        output.WriteLine($"conv_max head after 20 steps: test accuracy {result.Metrics["test_accuracy"]:F3}");

        // The same head written as an ensemble of one (head.members.0.*, which the format allows and a pod serves)
        // scores the same in the evaluator.
        var oneMember = Path.Combine(_data.Root, "convmax-one-member.safetensors");
        File.WriteAllBytes(oneMember, new MaskBundle
        {
            Task = bundle.Task, Language = bundle.Language, BackboneDigest = bundle.BackboneDigest, HeadKind = bundle.HeadKind,
            Labels = bundle.Labels, Masks = bundle.Masks, Lineage = bundle.Lineage,
            Heads = [.. bundle.Heads.Select(h => new HeadTensor(HeadTensor.MemberPrefix(0) + h.Name[HeadTensor.NamePrefix.Length..], h.Shape, h.Values))],
        }.ToBytes());
        var oneMemberScore = Rescore(new JobResult { OutputPath = oneMember }, spec);
        Assert.Equal(score.Metrics["test_accuracy"], oneMemberScore.Metrics["test_accuracy"], 6);
        Assert.Equal(score.Metrics["test_loss"], oneMemberScore.Metrics["test_loss"], 5);
    }

    [Fact]
    public async Task RunAsync_HeadJobWithAConvMaxEnsemble_WritesEveryMemberAndTheEvaluatorScoresTheirAverage()
    {
        // Arrange: three small conv_max heads side by side.
        var spec = SmallConvMaxSpec();
        spec.Head.EnsembleSize = 3;

        // Act
        var result = await Runner().RunAsync(spec, Context("ensemble"), TestContext.Current.CancellationToken);
        var score = Rescore(result, spec);

        // Assert: head.members.{0,1,2}.* each a whole conv_max head, trained apart from their own starting points (no
        // two alike); the evaluator rebuilds the ensemble from the bundle alone and scores what the job scored.
        var bundle = MaskBundle.Read(result.OutputPath);
        var names = bundle.Heads.Select(h => h.Name).ToHashSet(StringComparer.Ordinal);
        string[] single = ["conv.bias", "conv.weight", "layer_logits", "norm.bias", "norm.weight", "proj.bias", "proj.weight"];
        Assert.Equal([.. Enumerable.Range(0, 3).SelectMany(k => single.Select(t => $"head.members.{k}.{t}")).Order(StringComparer.Ordinal)], names.Order(StringComparer.Ordinal));
        var convWeights = Enumerable.Range(0, 3).Select(k => bundle.Heads.Single(h => h.Name == $"head.members.{k}.conv.weight").Values.ToArray()).ToList();
        Assert.NotEqual(convWeights[0], convWeights[1]);
        Assert.NotEqual(convWeights[1], convWeights[2]);
        Assert.Equal(result.Metrics["test_accuracy"], score.Metrics["test_accuracy"], 6);
        Assert.Equal(result.Metrics["test_loss"], score.Metrics["test_loss"], 4);
    }

    [Fact]
    public async Task RunAsync_MissingManifestDirectory_ThrowsNotFound()
    {
        // Arrange
        var spec = _data.AsrSpec(JobKind.Mask, Path.Combine(_data.Root, "nowhere"), steps: 3, lr: 1e-3);

        // Act + Assert
        await Assert.ThrowsAsync<NotFoundException>(() => Runner().RunAsync(spec, Context("missing"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task RunAsync_MaskAndWeightsSteps_PrintsStepTimes()
    {
        // Arrange: a warm-up job first, so the one-off start-up cost of libtorch does not land on either side.
        var manifests = _data.CreateSpokenWords();
        await Runner().RunAsync(_data.AsrSpec(JobKind.Head, manifests, steps: 5, lr: 1e-3), Context("warmup"), TestContext.Current.CancellationToken);
        var times = new Dictionary<JobKind, List<TimeSpan>>();

        // Act
        foreach (var kind in new[] { JobKind.Mask, JobKind.Weights, JobKind.Mask, JobKind.Weights })
        {
            var last = TimeProvider.System.GetTimestamp();
            var list = times.TryGetValue(kind, out var existing) ? existing : times[kind] = [];
            await Runner().RunAsync(_data.AsrSpec(kind, manifests, steps: 20, lr: 1e-3), Context($"time-{kind}-{list.Count}", p =>
            {
                if (p.Phase.Length > 0)
                {
                    return; // evaluation, not a step
                }

                list.Add(TimeProvider.System.GetElapsedTime(last));
                last = TimeProvider.System.GetTimestamp();
            }), TestContext.Current.CancellationToken);
        }

        // Assert: timings are printed, never asserted.
        var mask = times[JobKind.Mask].Skip(1).Average(t => t.TotalMilliseconds);
        var weights = times[JobKind.Weights].Skip(1).Average(t => t.TotalMilliseconds);
        output.WriteLine($"step time on the tiny model: mask {mask:F1} ms, weights {weights:F1} ms, ratio {mask / weights:F2}");
        Assert.Equal(40, times[JobKind.Mask].Count);
        Assert.Equal(40, times[JobKind.Weights].Count);
    }

    [Fact]
    public async Task RunAsync_MaskJobWithTimeMask_ReproducibleAndDifferentFromWithout()
    {
        // Arrange: a backbone with a masked_spec_embed (config mask_time_prob > 0).
        var backbone = Path.Combine(_data.Root, "backbone-spec-embed");
        TorchSharp.torch.manual_seed(7);
        using (var model = Wav2Vec2Model.Create(TrainingTestData.TinyConfig with { MaskTimeProb = 0.05 }))
        {
            model.SaveHuggingFace(backbone);
        }

        var plain = ClassifierSpec(JobKind.Mask, steps: 8, pooling: "mean");
        plain.BackbonePath = backbone;
        var masked = plain.Clone();
        masked.Optimization.TimeMaskProb = 0.3;
        var (plainLosses, maskedLosses, againLosses) = (new List<double>(), new List<double>(), new List<double>());

        // Act
        await Runner().RunAsync(plain, Context("plain", StepLosses(plainLosses)), TestContext.Current.CancellationToken);
        await Runner().RunAsync(masked, Context("masked", StepLosses(maskedLosses)), TestContext.Current.CancellationToken);
        await Runner().RunAsync(masked, Context("again", StepLosses(againLosses)), TestContext.Current.CancellationToken);

        // Assert: the first step's features already differ; the masks are drawn from the job's seed.
        Assert.NotEqual(plainLosses[0], maskedLosses[0]);
        Assert.Equal(maskedLosses, againLosses);
    }

    [Fact]
    public async Task RunAsync_TimeMaskOnABackboneWithoutSpecEmbed_FailedPrecondition()
    {
        // Arrange: the test backbone's config has mask_time_prob 0, so it has no masked_spec_embed.
        var spec = ClassifierSpec(JobKind.Weights, steps: 2, pooling: "mean");
        spec.Optimization.TimeMaskProb = 0.05;

        // Act
        var error = await Assert.ThrowsAsync<FailedPreconditionException>(() => Runner().RunAsync(spec, Context("no-embed"), TestContext.Current.CancellationToken));

        // Assert
        Assert.Contains("masked_spec_embed", error.Message, StringComparison.Ordinal);
    }

    private JobSpec ClassifierSpec(JobKind kind, long steps, string pooling) => new()
    {
        Kind = kind,
        Task = "intent",
        LanguageCode = "und",
        BackbonePath = _data.BackboneDir,
        Dataset = new DatasetSpec { ManifestDir = _data.CreateTones() },
        Head = new HeadSpec { Pooling = pooling },
        Optimization = new OptimizationSpec { MaxSteps = steps, LearningRate = 2e-2, MaxTokens = 60_000, EvalIntervalSteps = 50, CheckpointIntervalSteps = 1000 },
        Seed = 5,
    };

    // A head job with a small conv_max head (8 channels, kernel 3), 20 steps on the tones.
    private JobSpec SmallConvMaxSpec()
    {
        var spec = ClassifierSpec(JobKind.Head, steps: 20, pooling: "conv_max");
        spec.Head.ConvWidth = 8;
        spec.Head.ConvKernel = 3;
        return spec;
    }

    // A stats head job (all-states features) that evaluates on valid at its last step, so both splits are cached.
    private JobSpec AllStatesSpec()
    {
        var spec = ClassifierSpec(JobKind.Head, steps: 20, pooling: "stats");
        spec.Optimization.EvalIntervalSteps = 20;
        return spec;
    }

    // Scores the job's bundle again on a split with the route evaluator, which rebuilds the head from the bundle alone.
    private S3Router.TrainingService.Training.Scoring.RouteScore Rescore(JobResult result, JobSpec spec, string split = "test") =>
        S3Router.TrainingService.Training.Scoring.RouteEvaluator.Evaluate(
            new S3Router.TrainingService.Training.Scoring.RouteScoreRequest
            {
                RoutePath = result.OutputPath, BackbonePath = _data.BackboneDir, ManifestDir = spec.Dataset.ManifestDir, MaxTokens = 60_000, Split = split,
            },
            null, TestContext.Current.CancellationToken);

    private static Action<JobProgress> StepLosses(List<double> losses) => p =>
    {
        if (p.Phase.Length == 0)
        {
            losses.Add(p.Loss);
        }
    };

    private static void AssertSameHeads(MaskBundle expected, MaskBundle actual)
    {
        Assert.Equal(expected.Heads.Select(h => h.Name), actual.Heads.Select(h => h.Name));
        foreach (var (e, a) in expected.Heads.Zip(actual.Heads))
        {
            Assert.Equal(e.Values.ToArray(), a.Values.ToArray());
        }
    }

    // Edits the training state (JSON metadata) of the work directory's latest checkpoint, keeping its tensors.
    private static void RewriteCheckpointState(string workDirectory, Action<JsonObject> edit)
    {
        var path = Path.Combine(Directory.GetDirectories(Path.Combine(workDirectory, "checkpoints"), "step-*").Order(StringComparer.Ordinal).Last(), "state.safetensors");
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.FromBytes(File.ReadAllBytes(path)))
        {
            var state = JsonNode.Parse(file.Metadata["training_state"])!.AsObject();
            edit(state);
            writer.SetMetadata("training_state", state.ToJsonString());

            foreach (var (name, info) in file.Tensors)
            {
                writer.Add(name, info.Dtype, info.Shape, file.GetBytes(name));
            }
        }

        writer.WriteToFile(path);
    }

    private static JobRunner Runner(ILogger<JobRunner>? logger = null) => new(logger ?? NullLogger<JobRunner>.Instance, TimeProvider.System);

    // Sets S3R_FEATURE_CACHE_DIR until disposed; safe because this project runs its tests one at a time (xunit.runner.json).
    private static EnvironmentVariableScope FeatureCacheDirectory(string directory) => new(JobRunner.FeatureCacheDirectoryVariable, directory);

    private static Action<JobProgress> Reports(List<JobProgress> reports) => p =>
    {
        lock (reports)
        {
            reports.Add(p.Clone());
        }
    };

    // The utterance totals of a phase's reports, one per split it ran on, in order.
    private static List<long> PhaseTotals(List<JobProgress> reports, string phase) =>
        reports.Where(p => p.Phase == phase).Select(p => p.PhaseTotal).Distinct().ToList();

    private static long Utterances(JobSpec spec, string split) => File.ReadLines(Path.Combine(spec.Dataset.ManifestDir, split + ".tsv")).Count() - 1;

    private JobRunContext Context(string name, Action<JobProgress>? report = null) =>
        new("job-" + name, _data.WorkDir(name), report ?? (_ => { }));
}
