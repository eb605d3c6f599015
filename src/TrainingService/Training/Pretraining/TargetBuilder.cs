using Microsoft.Extensions.Logging;
using S3Router.Core.Backbones;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training.Data;

namespace S3Router.TrainingService.Training.Pretraining;

/// <summary>
/// Fits a pretraining job's k-means targets, or reuses the ones its work directory holds (<c>kmeans.json</c>,
/// <c>targets.json</c>, and <c>targets.bin</c> for backbone-layer targets) when the job asks for the same ones; a job
/// that asks for other targets than the fitted ones is refused. Iteration 1 clusters MFCC + deltas; later iterations
/// cluster the hidden states of one layer of a frozen backbone, each utterance run alone (no padding can change it).
/// Both draw the same k-means sample: frames of up to 400 seeded utterances, at most 60,000 of them.
/// Reference: HuBERT, https://arxiv.org/abs/2106.07447 (section III).
/// </summary>
internal sealed class TargetBuilder(ILogger logger, JobRunContext context)
{
    public const string KMeansFileName = "kmeans.json";

    public const string TableFileName = "targets.bin";

    internal const int KMeansUtterances = 400;
    internal const int KMeansMaxFrames = 60_000;

    private const string BackboneField = "pretrain.targets_backbone_path";
    private const string LayerField = "pretrain.targets_layer";

    /// <summary>
    /// The targets of <paramref name="train"/> for a job training <paramref name="student"/>. Bad target options throw
    /// <see cref="InvalidInputException"/> naming the field; other targets than the work directory's
    /// <see cref="FailedPreconditionException"/>.
    /// </summary>
    public PretrainTargets Build(SpeechDataset train, string datasetDigest, JobOptions options, Wav2Vec2Model student, CancellationToken cancellationToken) =>
        options.TargetsBackbonePath.Length == 0
            ? BuildMfcc(train, datasetDigest, options, student.Config, cancellationToken)
            : BuildFromBackbone(train, datasetDigest, options, student, cancellationToken);

    private PretrainTargets BuildMfcc(SpeechDataset train, string datasetDigest, JobOptions options, Wav2Vec2Config student, CancellationToken cancellationToken)
    {
        var mfcc = new Mfcc();
        if (student.FrameHopSamples != mfcc.HopSamples)
        {
            throw new FailedPreconditionException($"MFCC targets are computed every {mfcc.HopSamples} samples; the backbone's frame stride is {student.FrameHopSamples}.");
        }

        var settings = new TargetSettings
        {
            Source = TargetSettings.MfccSource,
            Clusters = options.Clusters,
            Seed = options.Seed,
            KMeansUtterances = KMeansUtterances,
            KMeansMaxFrames = KMeansMaxFrames,
            DatasetDigest = datasetDigest,
        };
        var kmeans = FitOrReuse(train, settings, audio => mfcc.ComputeWithDeltas(audio), cancellationToken);
        return PretrainTargets.FromMfcc(settings, kmeans, mfcc);
    }

    private PretrainTargets BuildFromBackbone(SpeechDataset train, string datasetDigest, JobOptions options, Wav2Vec2Model student, CancellationToken cancellationToken)
    {
        var directory = Path.GetFullPath(options.TargetsBackbonePath);
        CheckTargetsBackbone(directory, options.TargetsLayer, student.Config);
        var settings = new TargetSettings
        {
            Source = TargetSettings.BackboneSource,
            BackbonePath = directory,
            BackboneDigest = Sha256Digest.OfFile(Path.Combine(directory, "model.safetensors")),
            Layer = options.TargetsLayer,
            Clusters = options.Clusters,
            Seed = options.Seed,
            KMeansUtterances = KMeansUtterances,
            KMeansMaxFrames = KMeansMaxFrames,
            DatasetDigest = datasetDigest,
        };
        using var teacher = Wav2Vec2Model.LoadHuggingFace(directory);
        float[,] Features(float[] audio)
        {
            var features = teacher.ExtractLayerFeatures(audio, settings.Layer);
            var expected = student.OutputFrames(audio.Length);
            if (features.GetLength(0) != expected)
            {
                // Unreachable with equal conv_kernel and conv_stride; a guard so targets never slide against frames.
                throw new FailedPreconditionException(
                    $"The targets backbone gives {features.GetLength(0)} frames for {audio.Length} samples where the trained backbone gives {expected}.");
            }

            return features;
        }

        var kmeans = FitOrReuse(train, settings, Features, cancellationToken);
        var kmeansDigest = Sha256Digest.OfFile(Path.Combine(context.WorkDirectory, KMeansFileName));
        var tablePath = Path.Combine(context.WorkDirectory, TableFileName);
        var expectedFrames = train.Items.Select(i => student.OutputFrames(i.Samples)).ToList();
        var table = PretrainTargets.TryLoadTable(tablePath, kmeansDigest, expectedFrames);
        if (table is null)
        {
            table = new long[train.Count][];
            var progress = Every10Percent((done, total) => TrainingLog.TargetsAssigned(logger, context.JobId, done, total));
            for (var i = 0; i < train.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                table[i] = kmeans.Assign(Features(train.LoadAudio(i)));
                progress(i + 1, train.Count);
            }

            PretrainTargets.SaveTable(tablePath, table, kmeansDigest);
        }

        return PretrainTargets.FromTable(settings, kmeans, table, student.Config.FrameHopSamples);
    }

    /// <summary>Throws <see cref="InvalidInputException"/> naming the option when the targets backbone cannot give the trained backbone's frames.</summary>
    private static void CheckTargetsBackbone(string directory, int layer, Wav2Vec2Config student)
    {
        if (!Directory.Exists(directory))
        {
            throw new InvalidInputException(
                $"targets_backbone_path '{directory}' does not exist; it must be a backbone directory (config.json + model.safetensors), e.g. models/tiny-ssl.", BackboneField);
        }

        foreach (var file in new[] { Wav2Vec2ConfigJson.FileName, "model.safetensors" })
        {
            if (!File.Exists(Path.Combine(directory, file)))
            {
                throw new InvalidInputException($"targets_backbone_path '{directory}' has no {file}; it must be a backbone directory (config.json + model.safetensors).", BackboneField);
            }
        }

        var configPath = Path.Combine(directory, Wav2Vec2ConfigJson.FileName);
        Wav2Vec2Config config;
        try
        {
            config = Wav2Vec2ConfigJson.Parse(File.ReadAllText(configPath), configPath);
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"targets_backbone_path: {e.Message}", BackboneField, e);
        }

        if (layer < 0 || layer > config.NumHiddenLayers)
        {
            throw new InvalidInputException(
                $"targets_layer {layer} does not exist: '{directory}' has {config.NumHiddenLayers} transformer layers, so the layer is 0 (the transformer's input) to {config.NumHiddenLayers} (the last layer's output).",
                LayerField);
        }

        if (!config.ConvKernel.SequenceEqual(student.ConvKernel) || !config.ConvStride.SequenceEqual(student.ConvStride))
        {
            throw new InvalidInputException(
                $"targets_backbone_path '{directory}' has another conv frontend (conv_kernel [{string.Join(", ", config.ConvKernel)}], conv_stride [{string.Join(", ", config.ConvStride)}]) "
                + $"than the trained backbone ([{string.Join(", ", student.ConvKernel)}], [{string.Join(", ", student.ConvStride)}]), so its frames are not the trained backbone's frames; targets need the same frontend.",
                BackboneField);
        }
    }

    private KMeans FitOrReuse(SpeechDataset train, TargetSettings settings, Func<float[], float[,]> features, CancellationToken cancellationToken)
    {
        var kmeansPath = Path.Combine(context.WorkDirectory, KMeansFileName);
        var settingsPath = Path.Combine(context.WorkDirectory, TargetSettings.FileName);
        if (File.Exists(kmeansPath))
        {
            // Work directories from before targets.json hold MFCC targets with the default clusters.
            var stored = TargetSettings.TryLoad(settingsPath) ?? settings with
            {
                Source = TargetSettings.MfccSource,
                BackbonePath = "",
                BackboneDigest = "",
                Layer = 0,
                Clusters = JobOptions.DefaultPretrainClusters,
            };
            if (!stored.SameTargets(settings))
            {
                throw new FailedPreconditionException(
                    $"The work directory '{context.WorkDirectory}' holds the targets of an earlier run: {stored.Describe()}. This job asks for {settings.Describe()}. "
                    + $"A resumed run keeps its targets: use a fresh work directory, or delete {KMeansFileName}, {TargetSettings.FileName}, {TableFileName} and checkpoints/ there to start over.");
            }

            if (!File.Exists(settingsPath))
            {
                settings.Save(settingsPath);
            }

            TrainingLog.TargetsReused(logger, context.JobId, settings.Describe());
            return KMeans.Load(kmeansPath);
        }

        // Settings first: a crash before kmeans.json lands leaves nothing fitted, and the next run fits again.
        settings.Save(settingsPath);
        var random = new Random(DeterministicSeed.Derive(settings.Seed, 0, 3));
        var chosen = Enumerable.Range(0, train.Count).OrderBy(_ => random.Next()).Take(settings.KMeansUtterances).ToList();
        var frames = new List<float[]>();
        var progress = Every10Percent((done, total) => TrainingLog.TargetFeatures(logger, context.JobId, done, total));
        foreach (var (index, n) in chosen.Select((index, n) => (index, n)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = features(train.LoadAudio(index));
            for (var t = 0; t < rows.GetLength(0); t++)
            {
                var row = new float[rows.GetLength(1)];
                for (var d = 0; d < row.Length; d++)
                {
                    row[d] = rows[t, d];
                }

                frames.Add(row);
            }

            progress(n + 1, chosen.Count);
        }

        if (frames.Count > settings.KMeansMaxFrames)
        {
            frames = frames.OrderBy(_ => random.Next()).Take(settings.KMeansMaxFrames).ToList();
        }

        var k = Math.Min(settings.Clusters, frames.Count);
        TrainingLog.KMeansFitting(logger, context.JobId, frames.Count, frames[0].Length, k);
        var kmeans = KMeans.Fit(frames, k, DeterministicSeed.Derive(settings.Seed, 0, 4));
        var temporary = kmeansPath + ".tmp";
        kmeans.Save(temporary);
        File.Move(temporary, kmeansPath, overwrite: true);
        TrainingLog.TargetsFitted(logger, context.JobId, k, frames.Count, chosen.Count, settings.Describe());
        return kmeans;
    }

    /// <summary>Calls <paramref name="report"/> when (done, total) crosses a tenth of the total, and at the end.</summary>
    private static Action<int, int> Every10Percent(Action<int, int> report)
    {
        var reported = 0;
        return (done, total) =>
        {
            if (done * 10 / total > reported || done == total)
            {
                reported = done * 10 / total;
                report(done, total);
            }
        };
    }
}
