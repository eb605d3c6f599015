using System.Globalization;
using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Hosting;
using S3Router.Core.Masks;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training.Checkpoints;
using S3Router.TrainingService.Training.Data;
using S3Router.TrainingService.Training.Heads;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training;

/// <summary>
/// The training engine: runs a mask, weights, prune, head or pretrain job (pretraining: <see cref="Pretraining.Pretrainer"/>) (see training.proto) on the CPU with TorchSharp.
/// Outputs: <c>&lt;work&gt;/bundle.safetensors</c> (a Core <see cref="MaskBundle"/>) for mask, prune and head jobs;
/// <c>&lt;work&gt;/model/</c> (Hugging Face <c>config.json</c> + <c>model.safetensors</c> of the finetuned backbone,
/// and <see cref="HeadFile"/> <c>head.safetensors</c>) for weights jobs. A prune job's bundle refers to the
/// finetuned model it started from: its backbone digest is that model's <c>model.safetensors</c>. A structured-prune or
/// head job with <c>start_bundle_path</c> runs on the route's <c>W * M</c> and writes the route's masks (AND the removed
/// structures) with the route's digest as <see cref="Core.Masks.MaskLineage.ParentBundleDigest"/>.
/// </summary>
public sealed class JobRunner(ILogger<JobRunner> logger, TimeProvider timeProvider) : IJobRunner
{
    /// <summary>File name of the bundle written under the work directory.</summary>
    public const string BundleFileName = "bundle.safetensors";

    // Utterances a statistics-pooling head's standardization is estimated on (a few hundred pin down per-feature moments).
    private const int StandardizationUtterances = 256;

    /// <summary>Directory name of a weights job's finetuned model under the work directory.</summary>
    public const string ModelDirectoryName = "model";

    /// <inheritdoc />
    public Task<JobResult> RunAsync(JobSpec spec, JobRunContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        var options = JobOptions.Resolve(spec);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.Run(() => Run(spec, options, context, cancellationToken), CancellationToken.None);
    }

    /// <summary>Environment variable that caps libtorch's threads (default: one per core); set it to share a machine.</summary>
    public const string ThreadsVariable = "S3R_TRAINING_THREADS";

    // An OpenMP team on an oversubscribed machine waits at every barrier for its preempted members: fewer threads
    // than cores then trains faster than a full team.
    internal static int TorchThreads() =>
        int.TryParse(Environment.GetEnvironmentVariable(ThreadsVariable), out var threads) && threads > 0 ? threads : Environment.ProcessorCount;

    /// <summary>
    /// Environment variable with the memory budget, in MiB, of a head job's cached backbone features (default 2048,
    /// <see cref="FrozenFeatures.DefaultBudgetBytes"/>): a training set whose features exceed it, even as float16,
    /// runs the frozen backbone again in every step, 20-40 times slower.
    /// </summary>
    public const string FeatureCacheVariable = "S3R_FEATURE_CACHE_MIB";

    /// <summary>
    /// Environment variable with a directory where head jobs (and head warm-ups) keep their frozen backbone features
    /// (<see cref="FeatureDiskCache"/>), so later jobs on the same corpus, backbone and settings load them instead of
    /// running the backbone. Default: unset, no disk cache. Files are never deleted by the service.
    /// </summary>
    public const string FeatureCacheDirectoryVariable = "S3R_FEATURE_CACHE_DIR";

    /// <summary>The feature cache budget in bytes; an unset, unparsable or non-positive value keeps the default.</summary>
    internal static long FeatureCacheBytes(string? mebibytes) =>
        long.TryParse(mebibytes, NumberStyles.None, CultureInfo.InvariantCulture, out var mib) && mib is > 0 and <= 1L << 30
            ? mib << 20
            : FrozenFeatures.DefaultBudgetBytes;

    /// <summary>
    /// The libtorch thread count every training step of the job ran with, which the checkpoints, the result and the
    /// lineage record: 0 ("not recorded") once a resume mixed counts or resumed a checkpoint that did not record its
    /// count, since no single count reproduces such a result. A finished job resumed (no step left) keeps its count.
    /// </summary>
    internal static int StepThreads(TrainingState? resumed, int threads, long maxSteps) =>
        resumed is null || resumed.TorchThreads == threads ? threads
        : resumed.Step >= maxSteps ? resumed.TorchThreads
        : 0;

    /// <summary>
    /// The oneDNN level a job records, from <see cref="LibTorchCpuIsa.Effective"/>: its value in upper case (oneDNN reads
    /// the variable case-insensitively: <c>avx2</c> caps like <c>AVX2</c>), or empty when oneDNN chooses its own level. A
    /// value that cannot be one of oneDNN's names (<see cref="Core.Masks.MaskLineage.IsValidOneDnnMaxIsa"/>) is ignored
    /// by oneDNN, which then runs at its own level too, and could not be written into a bundle.
    /// </summary>
    internal static string RecordedOneDnnLevel(string? effective) =>
        effective?.ToUpperInvariant() is { } level && Core.Masks.MaskLineage.IsValidOneDnnMaxIsa(level) ? level : "";

    /// <summary>
    /// The oneDNN level the checkpoints, the result and the lineage record: <paramref name="level"/>, that of the process
    /// that finishes the job (a resume at another level is logged, not hidden); a finished job resumed (no step left)
    /// keeps the level its steps ran at, empty when its checkpoint did not record one.
    /// </summary>
    internal static string StepOneDnnLevel(TrainingState? resumed, string level, long maxSteps) =>
        resumed is not null && resumed.Step >= maxSteps ? resumed.OneDnnMaxIsa ?? "" : level;

    /// <summary>How logs name a recorded oneDNN level.</summary>
    internal static string DescribeOneDnnLevel(string level) => level.Length > 0 ? level : "its own level";

    private static string SpecDigest(JobSpec spec)
    {
        var training = spec.Clone();
        training.Publish = null; // where the result goes does not change training
        return Convert.ToHexStringLower(SHA256.HashData(training.ToByteArray()));
    }

    private static Dictionary<string, double> Finite(IReadOnlyDictionary<string, double> metrics) =>
        metrics.Where(m => double.IsFinite(m.Value)).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);

    private JobResult Run(JobSpec spec, JobOptions options, JobRunContext context, CancellationToken cancellationToken)
    {
        torch.set_num_threads(TorchThreads());
        var threads = torch.get_num_threads(); // part of the reproducibility contract: recorded in checkpoints and the bundle
        var oneDnnLevel = RecordedOneDnnLevel(LibTorchCpuIsa.Effective); // part of the contract too (other kernels round differently)
        TrainingLog.LibTorchSettings(logger, context.JobId, threads, oneDnnLevel.Length > 0 ? oneDnnLevel : "its own level");
        GlibcHeap.KeepFreedMemory();
        Directory.CreateDirectory(context.WorkDirectory);
        torch.manual_seed(options.Seed);
        if (options.Kind == JobKind.Pretrain)
        {
            return new Pretraining.Pretrainer(logger, timeProvider).Run(options, context, SpecDigest(spec), threads, oneDnnLevel, cancellationToken);
        }

        var finetunedHead = options.Kind == JobKind.Prune
            ? HeadFile.Read(Path.Combine(options.FinetunedModelPath, HeadFile.FileName))
            : default((IReadOnlyDictionary<string, HostTensor> Tensors, bool IsCtc, IReadOnlyList<string> Labels)?);
        if (finetunedHead is { } fh && fh.IsCtc != options.IsCtc)
        {
            throw new InvalidInputException(
                $"The finetuned model's head is {(fh.IsCtc ? "CTC" : "a classifier")}, but the job asks for {(options.IsCtc ? "CTC" : "a classifier")}.", "head.kind");
        }

        var startBundle = options.StartBundlePath.Length > 0 ? MaskBundle.Read(options.StartBundlePath) : null;
        if (startBundle is not null && (startBundle.HeadKind == MaskHeadKind.Ctc) != options.IsCtc)
        {
            throw new InvalidInputException(
                $"The start bundle's head is {(startBundle.HeadKind == MaskHeadKind.Ctc ? "CTC" : "a classifier")}, but the job asks for {(options.IsCtc ? "CTC" : "a classifier")}.", "head.kind");
        }

        // The route's labels keep its head usable; a classifier dataset with classes the route lacks gets its own.
        var data = JobData.Load(options, finetunedHead?.Labels ?? startBundle?.Labels);
        if (startBundle is not null && !options.IsCtc && new[] { data.Train, data.Valid, data.Test }.Any(d => d?.Items.Any(i => i.Targets[0] < 0) == true))
        {
            data = JobData.Load(options, null);
        }

        if (data.SkippedTooLong > 0)
        {
            TrainingLog.SkippedUtterances(logger, context.JobId, data.SkippedTooLong);
        }

        var masking = options.IsMasked ? new MaskingOptions { Scope = options.Scope, PruneRate = options.PruneRate } : null;
        using var backbone = Wav2Vec2Model.LoadHuggingFace(options.EffectiveBackbonePath, masking);
        var backboneDigest = Sha256Digest.OfFile(Path.Combine(options.EffectiveBackbonePath, "model.safetensors"));
        if (options.TimeMaskProb > 0 && !backbone.Config.HasMaskedSpecEmbed)
        {
            throw new FailedPreconditionException(
                "time_mask_prob needs a backbone with a learned masked_spec_embed (config mask_time_prob or mask_feature_prob > 0); this one has none: set time_mask_prob to 0.");
        }

        var routeMasks = startBundle is null ? null : ApplyBundleMasks(startBundle, backboneDigest, backbone);
        (IReadOnlyList<MaskTensor> Masks, Core.Pruning.StructuredPruningInfo Info)? structured =
            options.Kind == JobKind.StructuredPrune ? PruneStructures(options, context, backbone) : null;
        TrainingStep.FreezeBackbone(options.Kind, backbone);
        if (options.IsMasked)
        {
            backbone.InitializeScores(options.InitScore);
        }

        backbone.OutputsAllStates = options.ReadsAllStates;
        using var head = CreateHead(options, backbone, data.Labels.Count);
        if (finetunedHead is { } start)
        {
            head.Import(start.Tensors);
        }

        string? parentDigest = null;
        var headInitialized = false;
        if (startBundle is not null)
        {
            headInitialized = TryImportHead(head, startBundle);
            parentDigest = Sha256Digest.OfFile(options.StartBundlePath);
            TrainingLog.StartedFromBundle(logger, context.JobId, parentDigest, routeMasks!.Count, headInitialized);
        }

        // What the frozen backbone computes with, as the lineage names it, plus the masks a job applies beyond the
        // start bundle's: the initial masks of a mask job's head warm-up, the structures a structured prune removed.
        // Only for the jobs that cache features: the others would digest and export for nothing.
        var featureCache = FeatureCacheDirectory() is { } cacheDirectory && (options.HeadOnly || options.HeadWarmupSteps > 0)
            ? new FeatureDiskCache(cacheDirectory, backboneDigest, Sha256Digest.OfFile(Path.Combine(options.EffectiveBackbonePath, "config.json")), parentDigest ?? "",
                options.IsMasked ? backbone.ExportMasks() : structured?.Masks ?? [], threads)
            : null;
        if (head is ClassifierHead { Pooling: ClassifierPooling.Stats } statsHead && finetunedHead is null && !headInitialized)
        {
            FitStandardization(options, context, data, backbone, statsHead);
        }

        var headTrains = TrainingStep.HeadTrains(options.Kind, options.TrainableProj);
        foreach (var p in head.parameters())
        {
            p.requires_grad = headTrains;
        }

        var backboneTrainable = backbone.named_parameters().Where(p => p.parameter.requires_grad).Select(p => ("backbone." + p.name, p.parameter)).ToList();
        using var optimizer = new AdamOptimizer(
            backboneTrainable.Concat(head.named_parameters().Select(p => ("head." + p.name, p.parameter))), HeadWeightDecay(options), options.AdamBeta2);
        var store = new CheckpointStore(context.WorkDirectory);
        var specDigest = SpecDigest(spec);
        var state = store.TryLoad(optimizer, specDigest, data.DatasetDigest);
        var progress = new ProgressRelay(context.ReportProgress, options.MaxSteps);
        if (state is not null)
        {
            backbone.InvalidateMasks();
            TrainingLog.Resumed(logger, context.JobId, state.Step);
            if (state.TorchThreads > 0 && state.TorchThreads != threads)
            {
                TrainingLog.ResumedWithOtherThreads(logger, context.JobId, threads, state.TorchThreads);
            }

            if (state.OneDnnMaxIsa is { } checkpointLevel && checkpointLevel != oneDnnLevel)
            {
                TrainingLog.ResumedAtOtherOneDnnLevel(logger, context.JobId, DescribeOneDnnLevel(oneDnnLevel), DescribeOneDnnLevel(checkpointLevel));
            }

            progress.Resumed(state.Step);
        }

        if (state is null && options.HeadWarmupSteps > 0)
        {
            WarmUpHead(options, context, progress, data, backbone, head, featureCache, cancellationToken);
            // The warm-up's features (GBs for hours of audio) are dead now; without a compacting collection they would
            // stay committed through every backbone step. The malloc arenas stay: the backbone steps reuse them.
            ResidentMemory.Settle(trimNative: false);
        }

        var stepThreads = StepThreads(state, threads, options.MaxSteps);
        var stepLevel = StepOneDnnLevel(state, oneDnnLevel, options.MaxSteps);
        state = (state ?? new TrainingState { SpecDigest = specDigest }) with
        {
            DatasetDigest = data.DatasetDigest, TorchThreads = stepThreads, OneDnnMaxIsa = stepLevel,
        };
        TrainingLog.JobStarting(logger, context.JobId, options.Kind.ToString(), data.Train.Count, data.Labels.Count, options.MaxSteps);

        Train(options, context, progress, data, backbone, head, featureCache, backboneTrainable.Select(p => p.parameter).ToList(), optimizer, store, state, cancellationToken);

        var testMetrics = data.Test is null
            ? []
            : Finite(Evaluator.Evaluate(backbone, head, data.Test, data.Labels, options.IsCtc, options.MaxTokens, "test", beam: true,
                progress.Phase(JobPhase.Testing)));
        var result = new JobResult { TorchThreads = stepThreads, OnednnMaxIsa = stepLevel };
        result.Metrics.Add(testMetrics);
        if (options.Kind == JobKind.Weights)
        {
            result.OutputPath = WriteModel(options, context, backbone, head, data, testMetrics, stepThreads, stepLevel);
        }
        else
        {
            var bundle = new MaskBundle
            {
                Task = options.Task,
                Language = options.Language,
                BackboneDigest = backboneDigest,
                HeadKind = options.IsCtc ? MaskHeadKind.Ctc : MaskHeadKind.Classifier,
                Labels = data.Labels,
                Masks = options.IsMasked ? backbone.ExportMasks() : Combine(routeMasks, structured?.Masks ?? []),
                Heads = head.Export(),
                Lineage = new Core.Masks.MaskLineage
                {
                    JobId = context.JobId,
                    DatasetDigest = data.DatasetDigest,
                    PruneRate = options.IsMasked ? options.PruneRate : structured is { } s ? Math.Clamp(s.Info.ComputeKeep, 1e-6, 1) : startBundle?.Lineage.PruneRate ?? 1.0,
                    InitScore = options.IsMasked ? options.InitScoreName : structured is not null ? "structured_magnitude" : startBundle?.Lineage.InitScore ?? "",
                    ParentBundleDigest = parentDigest ?? "",
                    TorchThreads = stepThreads,
                    OneDnnMaxIsa = stepLevel,
                },
                Metrics = testMetrics,
                TokenDropping = options.TokenDropping,
                StructuredPruning = structured?.Info,
            };
            var path = Path.Combine(context.WorkDirectory, BundleFileName);
            var temporary = path + ".tmp";
            bundle.WriteToFile(temporary);
            File.Move(temporary, path, overwrite: true);
            result.OutputPath = path;
            result.BundleDigest = "sha256:" + Sha256Digest.OfFile(path);
        }

        TrainingLog.Finished(logger, context.JobId, result.OutputPath);
        return result;
    }

    private void Train(
        JobOptions options,
        JobRunContext context,
        ProgressRelay progress,
        JobData data,
        Wav2Vec2Model backbone,
        TaskHead head,
        FeatureDiskCache? featureCache,
        IReadOnlyList<Parameter> backboneTrainable,
        AdamOptimizer optimizer,
        CheckpointStore store,
        TrainingState state,
        CancellationToken cancellationToken)
    {
        var schedule = new TriStageSchedule(options.LearningRate, options.MaxSteps, options.WarmupFraction, options.HoldFraction, options.DecayFraction);
        long? crop = options.IsCtc ? null : Math.Min(JobOptions.MaxClassifierSamples, options.MaxTokens);
        var batches = DynamicBatcher.CreateBatches(
            data.Train.Items.Select(i => crop is { } c ? Math.Min(i.Samples, c) : i.Samples).ToList(), options.MaxTokens);
        var (epoch, position) = (state.Epoch, state.Position);
        var order = DynamicBatcher.EpochOrder(batches.Count, options.Seed, epoch);
        var evalMetrics = state.EvalMetrics;
        var checkpointStep = state.Step;
        var budget = FeatureCacheBudget();
        var cached = options.HeadOnly && state.Step < options.MaxSteps
            ? CacheFeatures(context, data.Train, "training", backbone, options.MaxTokens, budget, featureCache, progress, required: true)
            : null;
        // The valid split's features too, in what the training set left of the budget: every evaluation would run the
        // frozen backbone over it again.
        var validCached = cached is not null && data.Valid is not null && options.MaxSteps / options.EvalIntervalSteps > state.Step / options.EvalIntervalSteps
            ? CacheFeatures(context, data.Valid, "valid", backbone, options.MaxTokens, budget - cached.Bytes, featureCache, progress, required: false)
            : null;
        if (cached is not null)
        {
            // Computing the features left the batches' arrays and the backbone's activations behind; a head job's steps
            // need neither the managed garbage nor the malloc arenas the frozen backbone grew.
            ResidentMemory.Settle(trimNative: true);
        }

        long? cropFrames = crop is { } c ? backbone.OutputFrames(c) : null;
        var meter = new ProgressMeter(timeProvider, state.Step, options.MaxSteps);
        long examples = 0;

        for (var step = state.Step; step < options.MaxSteps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = batches[order[position]];
            var backboneLearns = !options.HeadOnly && !(options.Kind == JobKind.Weights && step < options.FreezeSteps);
            foreach (var p in backboneTrainable)
            {
                p.requires_grad = backboneLearns;
            }

            var lr = schedule.At(step);
            var cropSeed = DeterministicSeed.Derive(options.Seed, step, 1);
            var loss = TrainingStep.Run(head, optimizer, lr, options.IsCtc, Targets(data, batch), () =>
            {
                if (cached is not null)
                {
                    return cached.Batch(batch, cropFrames, cropSeed);
                }

                var tensors = BatchTensors.Create(data.Train, batch, crop, cropSeed);
                var timeMask = options.TimeMaskProb > 0
                    ? TrainingStep.TimeMask(backbone, tensors.Lengths, tensors.Waveforms.shape[1], options.TimeMaskProb, DeterministicSeed.Derive(options.Seed, step, 2))
                    : null;
                // A head job's backbone is a fixed feature extractor: no dropout, no graph.
                return TrainingStep.Backbone(backbone, tensors.Waveforms, tensors.Lengths, backboneLearns, dropout: !options.HeadOnly, timeMask);
            });
            examples += batch.Length;
            if (++position == batches.Count)
            {
                (epoch, position) = (epoch + 1, 0);
                order = DynamicBatcher.EpochOrder(batches.Count, options.Seed, epoch);
            }

            var completed = step + 1;
            if (data.Valid is not null && completed % options.EvalIntervalSteps == 0)
            {
                evalMetrics = Finite(Evaluator.Evaluate(backbone, head, data.Valid, data.Labels, options.IsCtc, options.MaxTokens, "valid", beam: false,
                    progress.Phase(JobPhase.Evaluating), cancellationToken, validCached));
                TrainingLog.Evaluated(logger, context.JobId, completed,
                    string.Join(", ", evalMetrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key}={m.Value:F4}"))));
            }

            if (completed % options.CheckpointIntervalSteps == 0 || completed == options.MaxSteps)
            {
                store.Save(state with { Step = completed, Epoch = epoch, Position = position, EvalMetrics = evalMetrics }, optimizer);
                checkpointStep = completed;
            }

            progress.Step(meter.At(completed, loss, lr, examples, checkpointStep, evalMetrics));
        }
    }

    /// <summary>The job's head on <paramref name="backbone"/> (whose <see cref="Wav2Vec2Model.OutputsAllStates"/> is already set).</summary>
    private static TaskHead CreateHead(JobOptions options, Wav2Vec2Model backbone, int classes) =>
        options.IsCtc ? new CtcHead(backbone.Config.HiddenSize, classes)
        : options.Pooling == ClassifierPooling.ConvMax
            ? options.EnsembleSize > 1
                ? new ConvMaxEnsemble(backbone.Config, classes, options.ConvWidth, options.ConvKernel, options.EnsembleSize)
                : new ConvMaxHead(backbone.Config, classes, options.ConvWidth, options.ConvKernel)
        : new ClassifierHead(backbone.OutputWidth, classes, options.Pooling);

    // Only the head decays (optimizer names "head.*"): the backbone's weights and mask scores are never pulled to zero.
    private static Func<string, double> HeadWeightDecay(JobOptions options) =>
        name => name.StartsWith("head.", StringComparison.Ordinal) ? options.HeadWeightDecay : 0;

    private static IReadOnlyList<long[]> Targets(JobData data, IReadOnlyList<int> batch) => batch.Select(i => data.Train.Items[i].Targets).ToList();

    /// <summary>
    /// LP-FT: trains only the head on cached features of the backbone as the job starts (its initial masks), so the
    /// job's own steps start from a head that already reads the features instead of a random one. Not checkpointed:
    /// a job interrupted here starts over, a job past it resumes from its checkpoint (which holds the head).
    /// </summary>
    private void WarmUpHead(
        JobOptions options, JobRunContext context, ProgressRelay progress, JobData data, Wav2Vec2Model backbone, TaskHead head, FeatureDiskCache? featureCache, CancellationToken cancellationToken)
    {
        var features = CacheFeatures(context, data.Train, "training", backbone, options.MaxTokens, FeatureCacheBudget(), featureCache, progress, required: true)
            ?? throw new FailedPreconditionException("head_warmup_steps needs the training set's backbone features in memory, and they exceed the cache budget; set head_warmup_steps to 0.");
        long? crop = options.IsCtc ? null : Math.Min(JobOptions.MaxClassifierSamples, options.MaxTokens);
        long? cropFrames = crop is { } c ? backbone.OutputFrames(c) : null;
        var batches = DynamicBatcher.CreateBatches(data.Train.Items.Select(i => crop is { } limit ? Math.Min(i.Samples, limit) : i.Samples).ToList(), options.MaxTokens);
        var schedule = new TriStageSchedule(options.HeadWarmupLearningRate, options.HeadWarmupSteps, options.WarmupFraction, options.HoldFraction, options.DecayFraction);
        var trainsHead = head.parameters().Select(p => p.requires_grad).ToList();
        foreach (var p in head.parameters())
        {
            p.requires_grad = true;
        }

        var warmupProgress = progress.Phase(JobPhase.HeadWarmup);
        using (var optimizer = new AdamOptimizer(head.named_parameters().Select(p => ("head." + p.name, p.parameter)), HeadWeightDecay(options), options.AdamBeta2))
        {
            head.train();
            var (epoch, position) = (0L, 0);
            var order = DynamicBatcher.EpochOrder(batches.Count, options.Seed, -1);
            for (var step = 0; step < options.HeadWarmupSteps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = batches[order[position]];
                var cropSeed = DeterministicSeed.Derive(options.Seed, step, 5);
                var loss = TrainingStep.Run(head, optimizer, schedule.At(step), options.IsCtc, Targets(data, batch), () => features.Batch(batch, cropFrames, cropSeed));

                if (++position == batches.Count)
                {
                    (epoch, position) = (epoch + 1, 0);
                    order = DynamicBatcher.EpochOrder(batches.Count, options.Seed, -1 - epoch);
                }

                if ((step + 1) % 100 == 0 || step + 1 == options.HeadWarmupSteps)
                {
                    TrainingLog.HeadWarmup(logger, context.JobId, step + 1, options.HeadWarmupSteps, loss);
                    warmupProgress(step + 1, (int)options.HeadWarmupSteps);
                }
            }
        }

        foreach (var (p, trains) in head.parameters().Zip(trainsHead))
        {
            p.requires_grad = trains;
        }
    }

    /// <summary>
    /// Sets a statistics-pooling head's standardization from up to <see cref="StandardizationUtterances"/> training
    /// utterances (evenly spaced, cropped as in training) through the job's starting backbone in eval mode. It runs
    /// before a checkpoint is restored, so a resumed job computes the same values.
    /// </summary>
    private void FitStandardization(JobOptions options, JobRunContext context, JobData data, Wav2Vec2Model backbone, ClassifierHead head)
    {
        var count = Math.Min(StandardizationUtterances, data.Train.Count);
        var picked = Enumerable.Range(0, count).Select(i => (int)((long)i * data.Train.Count / count)).ToList();
        var crop = Math.Min(JobOptions.MaxClassifierSamples, options.MaxTokens);
        var batches = DynamicBatcher.CreateBatches(picked.Select(i => Math.Min(data.Train.Items[i].Samples, crop)).ToList(), options.MaxTokens);
        backbone.eval();
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        head.FitStandardization(batches.Select(batch =>
        {
            var tensors = BatchTensors.Create(data.Train, batch.Select(j => picked[j]).ToList(), crop, DeterministicSeed.Derive(options.Seed, 0, 7));
            return backbone.call(tensors.Waveforms, tensors.Lengths);
        }));
        TrainingLog.HeadStandardized(logger, context.JobId, count, 2 * backbone.OutputWidth);
    }

    private static long Mebibytes(long bytes) => (bytes + (1L << 20) - 1) >> 20;

    private static long FeatureCacheBudget() => FeatureCacheBytes(Environment.GetEnvironmentVariable(FeatureCacheVariable));

    /// <summary>The feature cache directory; unset or empty: no disk cache.</summary>
    private static string? FeatureCacheDirectory() => Environment.GetEnvironmentVariable(FeatureCacheDirectoryVariable) is { Length: > 0 } directory ? directory : null;

    /// <summary>
    /// A head job's frozen features of <paramref name="dataset"/> (the <paramref name="split"/> set, named in the log),
    /// computed once before its first step, or loaded from the <paramref name="disk"/> cache when a job before computed
    /// the same (then stored there); null when over <paramref name="budget"/>. Only the training set's features are
    /// <paramref name="required"/>: without them the job runs the backbone in every step, which is warned of.
    /// </summary>
    private FrozenFeatures? CacheFeatures(
        JobRunContext context, SpeechDataset dataset, string split, Wav2Vec2Model backbone, long maxTokens, long budget, FeatureDiskCache? disk, ProgressRelay progress, bool required)
    {
        if (FrozenFeatures.HalfPrecision(backbone, dataset, budget) is not { } half)
        {
            if (required)
            {
                var single = FrozenFeatures.SingleBytes(backbone, dataset);
                TrainingLog.FeaturesNotCached(logger, context.JobId, Mebibytes(single / 2), Mebibytes(single), budget >> 20);
            }

            return null;
        }

        if (half)
        {
            TrainingLog.FeaturesCachedAsHalf(logger, context.JobId, split);
        }

        if (disk is null)
        {
            return Compute();
        }

        var key = disk.Key(backbone, dataset, maxTokens, half, progress.Phase(JobPhase.HashingAudio));
        if (LoadFeatures(context, disk, key, split, dataset.Count, (int)backbone.OutputWidth, half) is { } stored)
        {
            progress.Phase(JobPhase.LoadingFeatures)(dataset.Count, dataset.Count);
            return stored;
        }

        var features = Compute();
        StoreFeatures(context, disk, key, split, features);
        return features;

        FrozenFeatures Compute()
        {
            var phase = progress.Phase(JobPhase.CachingFeatures);
            var reported = 0;
            return FrozenFeatures.Compute(backbone, dataset, maxTokens, half, (done, total) =>
            {
                phase(done, total);
                if (done * 10 / total > reported || done == total)
                {
                    reported = done * 10 / total;
                    TrainingLog.CachingFeatures(logger, context.JobId, done, total, split);
                }
            });
        }
    }

    // A feature cache never fails a job: a file it cannot use is computed again (and overwritten).
    private FrozenFeatures? LoadFeatures(JobRunContext context, FeatureDiskCache disk, string key, string split, int count, int width, bool half)
    {
        try
        {
            var features = disk.TryRead(key, count, width, half);
            if (features is not null)
            {
                TrainingLog.FeaturesLoaded(logger, context.JobId, split, disk.PathOf(key));
            }

            return features;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            TrainingLog.FeatureFileUnusable(logger, context.JobId, disk.PathOf(key), e.Message, split);
            return null;
        }
    }

    // A feature cache never fails a job: one it cannot write to leaves the job with its features in memory.
    private void StoreFeatures(JobRunContext context, FeatureDiskCache disk, string key, string split, FrozenFeatures features)
    {
        try
        {
            disk.Write(key, features);
            TrainingLog.FeaturesStored(logger, context.JobId, split, disk.PathOf(key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TrainingLog.FeaturesNotStored(logger, context.JobId, split, disk.PathOf(key), e.Message);
        }
    }

    /// <summary>
    /// Selects the structures to keep (<see cref="Pruning.StructuredPruner"/>), zeroes the removed ones in the model's
    /// weights (the masked-equivalent backbone the head then trains on) and returns them as bundle masks.
    /// </summary>
    private (IReadOnlyList<MaskTensor> Masks, Core.Pruning.StructuredPruningInfo Info) PruneStructures(
        JobOptions options, JobRunContext context, Wav2Vec2Model backbone)
    {
        var weights = backbone.BackboneWeights();
        var selection = Pruning.StructuredPruner.Select(backbone.Config, weights, options.ComputeKeep);
        var masks = Pruning.StructuredPruner.Masks(backbone.Config, selection);
        var zeroed = weights.ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
        foreach (var (name, keep) in masks)
        {
            var data = (float[])zeroed[name].Data.Clone();
            for (var i = 0; i < data.Length; i++)
            {
                if (!keep[i])
                {
                    data[i] = 0f;
                }
            }

            zeroed[name] = zeroed[name] with { Data = data };
        }

        backbone.LoadWeights(zeroed);
        TrainingLog.StructuredPruned(logger, context.JobId, options.ComputeKeep, selection.ComputeKeep,
            string.Join(",", selection.Shape.Heads), string.Join(",", selection.Shape.FfnUnits), string.Join(",", selection.Shape.ConvChannels));
        var tensors = masks.OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => MaskTensor.FromBits(m.Key, weights[m.Key].Shape, m.Value)).ToList();
        var info = new Core.Pruning.StructuredPruningInfo
        {
            Method = "magnitude",
            ComputeKeepTarget = options.ComputeKeep,
            ComputeKeep = selection.ComputeKeep,
            Shape = selection.Shape,
        };
        return (tensors, info);
    }

    /// <summary>
    /// Checks the start bundle against the loaded backbone (<see cref="FailedPreconditionException"/> on another digest
    /// or shape) and multiplies every masked weight by its mask, so the backbone computes exactly the route.
    /// Returns the route's masks by the backbone's parameter names.
    /// </summary>
    private static Dictionary<string, MaskTensor> ApplyBundleMasks(MaskBundle bundle, string backboneDigest, Wav2Vec2Model backbone)
    {
        var weights = backbone.BackboneWeights().ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
        bundle.CheckCompatible(backboneDigest, weights.ToDictionary(w => w.Key, w => w.Value.Shape, StringComparer.Ordinal));
        var masks = new Dictionary<string, MaskTensor>(StringComparer.Ordinal);
        foreach (var mask in bundle.Masks)
        {
            var name = BackboneName(mask.Name, weights);
            var keep = mask.Unpack();
            var data = (float[])weights[name].Data.Clone();
            for (var i = 0; i < data.Length; i++)
            {
                if (!keep[i])
                {
                    data[i] = 0f;
                }
            }

            weights[name] = weights[name] with { Data = data };
            masks[name] = mask.Name == name ? mask : MaskTensor.FromPacked(name, mask.Shape, mask.Packed);
        }

        backbone.LoadWeights(weights);
        return masks;
    }

    // CheckCompatible accepts names with or without the Hugging Face model prefix; the backbone's own names have none.
    private static string BackboneName(string name, IReadOnlyDictionary<string, HostTensor> weights)
    {
        foreach (var prefix in new[] { "", "wav2vec2.", "hubert." })
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && weights.ContainsKey(name[prefix.Length..]))
            {
                return name[prefix.Length..];
            }
        }

        throw new FailedPreconditionException($"The start bundle masks '{name}', which is not a parameter of the backbone.");
    }

    /// <summary>Initializes the head from the bundle's when every tensor has the same name and shape (same labels); else keeps the fresh head.</summary>
    private static bool TryImportHead(TaskHead head, MaskBundle bundle)
    {
        var tensors = bundle.Heads.ToDictionary(h => h.Name, h => new HostTensor(h.Values.ToArray(), [.. h.Shape]), StringComparer.Ordinal);
        var fits = head.Export().All(t => tensors.TryGetValue(t.Name, out var source) && source.Shape.SequenceEqual(t.Shape));
        if (fits)
        {
            head.Import(tensors);
        }

        return fits;
    }

    /// <summary>
    /// The bundle's masks: the start route's AND the structures removed, so a weight either zeroes stays zeroed and the
    /// served route computes exactly what the head was trained on. Sorted by name.
    /// </summary>
    private static IReadOnlyList<MaskTensor> Combine(Dictionary<string, MaskTensor>? route, IReadOnlyList<MaskTensor> structured)
    {
        if (route is null)
        {
            return structured;
        }

        var combined = new Dictionary<string, MaskTensor>(route, StringComparer.Ordinal);
        foreach (var mask in structured)
        {
            if (combined.TryGetValue(mask.Name, out var routeMask))
            {
                var bits = mask.Unpack();
                var keep = routeMask.Unpack();
                for (var i = 0; i < bits.Length; i++)
                {
                    bits[i] &= keep[i];
                }

                combined[mask.Name] = MaskTensor.FromBits(mask.Name, mask.Shape, bits);
            }
            else
            {
                combined[mask.Name] = mask;
            }
        }

        return combined.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => m.Value).ToList();
    }

    private static string WriteModel(
        JobOptions options, JobRunContext context, Wav2Vec2Model backbone, TaskHead head, JobData data, IReadOnlyDictionary<string, double> metrics, int threads,
        string oneDnnLevel)
    {
        var directory = Path.Combine(context.WorkDirectory, ModelDirectoryName);
        var temporary = directory + ".tmp";
        if (Directory.Exists(temporary))
        {
            Directory.Delete(temporary, recursive: true);
        }

        backbone.SaveHuggingFace(temporary);
        HeadFile.Write(Path.Combine(temporary, HeadFile.FileName), head.Export(), options.IsCtc, options.Pooling, data.Labels,
            options.Task, options.Language, metrics, threads, oneDnnLevel);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.Move(temporary, directory);
        return directory;
    }
}
