using Microsoft.Extensions.Logging;
using S3Router.Api.V1;
using S3Router.Core.Backbones;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training.Checkpoints;
using S3Router.TrainingService.Training.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Pretraining;

/// <summary>
/// JOB_KIND_PRETRAIN, HuBERT-style: k-means clusters are the targets, of MFCC + deltas at the backbone's 20 ms frame
/// rate (iteration 1) or of one layer's hidden states of a frozen backbone (later iterations; <see cref="TargetBuilder"/>).
/// Spans of frames are masked with <c>masked_spec_embed</c> after the feature projection and the transformer output
/// predicts the cluster of each frame (<see cref="PretrainHead"/>, cross-entropy on the masked frames plus
/// <c>unmasked_loss_weight</c> × that on the unmasked ones). Uses the engine's batching, Adam, tri-stage schedule and
/// checkpoints. Outputs <c>&lt;work&gt;/model/</c> (Hugging Face <c>config.json</c> + <c>model.safetensors</c>) and the
/// loss curve (<c>loss.csv</c>, <c>loss.png</c>) in the work directory and the model directory.
/// </summary>
internal sealed class Pretrainer(ILogger logger, TimeProvider timeProvider)
{
    public const string KMeansFileName = TargetBuilder.KMeansFileName;

    public const string LossFileName = "loss.csv";

    public const string PlotFileName = "loss.png";

    private const long IgnoreIndex = PretrainTargets.IgnoreIndex;

    private const string StartOver =
        "use a fresh work directory, or delete checkpoints/ and the targets (" + KMeansFileName + ", " + TargetSettings.FileName + ", " + TargetBuilder.TableFileName + ") there to start over";

    private const int MinSamples = 800; // two MFCC windows of 25 ms: shorter utterances give no targets

    /// <summary>
    /// Runs the job with libtorch set to <paramref name="threads"/> threads and oneDNN at <paramref name="oneDnnLevel"/>
    /// (<see cref="JobRunner.RecordedOneDnnLevel"/>; both recorded in checkpoints and the result). A checkpoint in the
    /// work directory of another spec or another training manifest is refused before the targets are built.
    /// </summary>
    public JobResult Run(JobOptions options, JobRunContext context, string specDigest, int threads, string oneDnnLevel, CancellationToken cancellationToken)
    {
        var audio = ManifestReader.ReadAudio(options.ManifestDir, options.TrainSplit)
            .Where(a => a.Samples >= MinSamples)
            .ToList();
        if (audio.Count == 0)
        {
            throw new InvalidInputException($"Training split '{options.TrainSplit}' has no utterance of at least 50 ms.", "dataset.train_split");
        }

        var train = new SpeechDataset(options.TrainSplit, audio.Select(a => new DatasetItem(a.Path, a.Samples, "", [])).ToList());
        var datasetDigest = DatasetDigest(options);
        var store = new CheckpointStore(context.WorkDirectory);
        store.Verify(specDigest, datasetDigest, StartOver);
        using var backbone = CreateBackbone(options.BackbonePath);
        if (!backbone.Config.HasMaskedSpecEmbed)
        {
            throw new FailedPreconditionException("The backbone config has mask_time_prob = 0, so it has no masked_spec_embed to pretrain with.");
        }

        var targets = new TargetBuilder(logger, context).Build(train, datasetDigest, options, backbone, cancellationToken);
        using var head = new PretrainHead(backbone.Config.HiddenSize, targets.K);
        using var optimizer = new AdamOptimizer(
            backbone.named_parameters().Select(p => ("backbone." + p.name, p.parameter))
                .Concat(head.named_parameters().Select(p => ("head." + p.name, p.parameter))), beta2: options.AdamBeta2);
        var state = store.TryLoad(optimizer, specDigest, datasetDigest);
        if (state is not null)
        {
            TrainingLog.Resumed(logger, context.JobId, state.Step);
            if (state.TorchThreads > 0 && state.TorchThreads != threads)
            {
                TrainingLog.ResumedWithOtherThreads(logger, context.JobId, threads, state.TorchThreads);
            }

            if (state.OneDnnMaxIsa is { } checkpointLevel && checkpointLevel != oneDnnLevel)
            {
                TrainingLog.ResumedAtOtherOneDnnLevel(
                    logger, context.JobId, JobRunner.DescribeOneDnnLevel(oneDnnLevel), JobRunner.DescribeOneDnnLevel(checkpointLevel));
            }
        }

        var stepThreads = JobRunner.StepThreads(state, threads, options.MaxSteps);
        var stepLevel = JobRunner.StepOneDnnLevel(state, oneDnnLevel, options.MaxSteps);
        state = (state ?? new TrainingState { SpecDigest = specDigest }) with
        {
            DatasetDigest = datasetDigest, TorchThreads = stepThreads, OneDnnMaxIsa = stepLevel,
        };
        TrainingLog.JobStarting(logger, context.JobId, options.Kind.ToString(), train.Count, targets.K, options.MaxSteps);
        var lossPath = Path.Combine(context.WorkDirectory, LossFileName);
        var lossLog = new LossLog(lossPath, state.Step);

        Train(options, context, train, backbone, head, targets, optimizer, store, state, lossLog, cancellationToken);

        var plotPath = Path.Combine(context.WorkDirectory, PlotFileName);
        LossCurvePlot.Write(lossPath, plotPath, targets.Settings.Source == TargetSettings.BackboneSource
            ? $"HuBERT-style pretraining, {targets.K} clusters of layer {targets.Settings.Layer}"
            : $"HuBERT-style pretraining, {targets.K} MFCC clusters");
        var directory = WriteModel(context, backbone, lossPath, plotPath);

        var rows = LossLog.Read(lossPath);
        var tail = rows.Skip(Math.Max(0, rows.Count - 50)).ToList();
        var result = new JobResult { OutputPath = directory, TorchThreads = stepThreads, OnednnMaxIsa = stepLevel };
        if (tail.Count > 0)
        {
            result.Metrics.Add("final_loss", tail.Average(r => r.Loss));
            result.Metrics.Add("final_masked_accuracy", tail.Average(r => r.Accuracy));
        }

        TrainingLog.Finished(logger, context.JobId, directory);
        return result;
    }

    /// <summary>sha256 hex of the training manifest (pretraining reads no labels): a corpus rebuilt at the same path has another.</summary>
    internal static string DatasetDigest(JobOptions options) =>
        Sha256Digest.OfFile(ManifestReader.ManifestPath(options.ManifestDir, options.TrainSplit));

    /// <summary>A backbone directory, or <c>preset:NAME</c> for a randomly initialized preset (seeded by the job seed).</summary>
    internal static Wav2Vec2Model CreateBackbone(string backbonePath) =>
        backbonePath.StartsWith(JobOptions.PresetPrefix, StringComparison.Ordinal)
            ? Wav2Vec2Model.Create(Wav2Vec2Config.FromPreset(backbonePath[JobOptions.PresetPrefix.Length..]))
            : Wav2Vec2Model.LoadHuggingFace(backbonePath);

    private void Train(
        JobOptions options,
        JobRunContext context,
        SpeechDataset train,
        Wav2Vec2Model backbone,
        PretrainHead head,
        PretrainTargets targets,
        AdamOptimizer optimizer,
        CheckpointStore store,
        TrainingState state,
        LossLog lossLog,
        CancellationToken cancellationToken)
    {
        var schedule = new TriStageSchedule(options.LearningRate, options.MaxSteps, options.WarmupFraction, options.HoldFraction, options.DecayFraction);
        var crop = Math.Min(JobOptions.MaxClassifierSamples, options.MaxTokens);
        var batches = DynamicBatcher.CreateBatches(train.Items.Select(i => Math.Min(i.Samples, crop)).ToList(), options.MaxTokens);
        var (epoch, position) = (state.Epoch, state.Position);
        var order = DynamicBatcher.EpochOrder(batches.Count, options.Seed, epoch);
        var checkpointStep = state.Step;
        var meter = new ProgressMeter(timeProvider, state.Step, options.MaxSteps);
        long examples = 0;
        var trainable = optimizer.Parameters.ToList();

        for (var step = state.Step; step < options.MaxSteps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = batches[order[position]];
            var lr = schedule.At(step);
            float loss;
            double accuracy;
            using (var scope = NewDisposeScope())
            {
                optimizer.ZeroGrad();
                var tensors = BatchTensors.Create(train, batch, crop, DeterministicSeed.Derive(options.Seed, step, 1));
                var (mask, maskedTargets, unmaskedTargets) = MaskAndTargets(backbone, targets, tensors, DeterministicSeed.Derive(options.Seed, step, 2));
                backbone.train();
                head.train();
                var (hidden, _) = backbone.ForwardMasked(tensors.Waveforms, tensors.Lengths, mask);
                var logits = head.call(hidden);
                var flatLogits = logits.reshape(-1, logits.shape[^1]);
                var lossTensor = nn.functional.cross_entropy(flatLogits, maskedTargets, ignore_index: IgnoreIndex);
                if (options.UnmaskedLossWeight > 0)
                {
                    var unmaskedLoss = nn.functional.cross_entropy(flatLogits, unmaskedTargets, ignore_index: IgnoreIndex);
                    using var weight = options.UnmaskedLossWeight.ToScalar();
                    lossTensor = lossTensor + unmaskedLoss.mul(weight);
                }

                lossTensor.backward();
                nn.utils.clip_grad_norm_(trainable, JobOptions.GradientClipNorm);
                optimizer.Step(lr);
                loss = lossTensor.item<float>();
                using (torch.no_grad())
                {
                    var counted = maskedTargets.ne(HeldScalar.Of(IgnoreIndex));
                    var correct = flatLogits.argmax(-1).eq(maskedTargets).logical_and(counted).sum().item<long>();
                    accuracy = correct / (double)Math.Max(1, counted.sum().item<long>());
                }
            }

            examples += batch.Length;
            if (++position == batches.Count)
            {
                (epoch, position) = (epoch + 1, 0);
                order = DynamicBatcher.EpochOrder(batches.Count, options.Seed, epoch);
            }

            var completed = step + 1;
            lossLog.Append(completed, loss, accuracy, lr);
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["masked_accuracy"] = accuracy };
            if (completed % options.CheckpointIntervalSteps == 0 || completed == options.MaxSteps)
            {
                store.Save(state with { Step = completed, Epoch = epoch, Position = position, EvalMetrics = metrics }, optimizer);
                checkpointStep = completed;
            }

            context.ReportProgress(meter.At(completed, loss, lr, examples, checkpointStep, metrics));
        }
    }

    /// <summary>
    /// The span mask [batch, frames] and two flat target vectors [batch × frames]: the cluster on masked valid frames
    /// (ignored elsewhere), and the cluster on unmasked valid frames (ignored elsewhere).
    /// </summary>
    private static (Tensor Mask, Tensor Targets, Tensor UnmaskedTargets) MaskAndTargets(Wav2Vec2Model backbone, PretrainTargets frameTargets, BatchTensors tensors, int seed)
    {
        var (batchSize, longest) = ((int)tensors.Waveforms.shape[0], (int)tensors.Waveforms.shape[1]);
        var frames = (int)backbone.OutputFrames(longest);
        var samples = tensors.Waveforms.data<float>().ToArray();
        var lengths = tensors.Lengths.data<long>().ToArray();
        var valid = lengths.Select(l => backbone.OutputFrames(l)).ToArray();
        var mask = SpanMasker.Compute(valid, frames, new Random(seed));
        var targets = new long[batchSize * frames];
        var unmaskedTargets = new long[batchSize * frames];
        Array.Fill(targets, IgnoreIndex);
        Array.Fill(unmaskedTargets, IgnoreIndex);
        for (var b = 0; b < batchSize; b++)
        {
            var clusters = frameTargets.For(tensors.Indices[b], samples.AsSpan(b * longest, (int)lengths[b]), tensors.Offsets[b], (int)valid[b]);
            for (var t = 0; t < clusters.Length; t++)
            {
                (mask[(b * frames) + t] ? targets : unmaskedTargets)[(b * frames) + t] = clusters[t];
            }
        }

        return (torch.tensor(mask, [batchSize, frames]), torch.tensor(targets), torch.tensor(unmaskedTargets));
    }

    private static string WriteModel(JobRunContext context, Wav2Vec2Model backbone, string lossPath, string plotPath)
    {
        var directory = Path.Combine(context.WorkDirectory, JobRunner.ModelDirectoryName);
        var temporary = directory + ".tmp";
        if (Directory.Exists(temporary))
        {
            Directory.Delete(temporary, recursive: true);
        }

        backbone.SaveHuggingFace(temporary);
        File.Copy(lossPath, Path.Combine(temporary, LossFileName));
        if (File.Exists(plotPath))
        {
            File.Copy(plotPath, Path.Combine(temporary, PlotFileName));
        }

        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        Directory.Move(temporary, directory);
        return directory;
    }
}
