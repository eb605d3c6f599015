using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training.Data;
using S3Router.TrainingService.Training.Heads;
using S3Router.TrainingService.Training.Metrics;
using TorchSharp;

namespace S3Router.TrainingService.Training.Scoring;

/// <summary>
/// Scores a finished route on any manifest split (<c>s3r train eval</c>, the quality bench's real-speech columns) with
/// the training jobs' own <see cref="Evaluator"/>: a route scored on its job's test split gives the job's test metrics.
/// The route's labels are the vocabulary; transcripts with characters outside it are refused
/// (<see cref="VocabularyMismatchException"/>) unless <see cref="RouteScoreRequest.AllowUnknownLabels"/> is set.
/// libtorch uses <c>S3R_TRAINING_THREADS</c> threads (default: one per core), as jobs do.
/// </summary>
public static class RouteEvaluator
{
    /// <summary>Loads the route and the split, then scores it.</summary>
    /// <param name="request">Route, backbone, manifest and split.</param>
    /// <param name="progress">Called after each batch with (utterances done, utterances in the split); may be null.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="NotFoundException">A missing route, backbone, manifest or label file.</exception>
    /// <exception cref="FailedPreconditionException">The bundle was trained on another backbone.</exception>
    /// <exception cref="VocabularyMismatchException">Transcripts hold labels the route lacks (and they are not allowed).</exception>
    /// <exception cref="InvalidInputException">A malformed manifest, or a split without utterances.</exception>
    public static RouteScore Evaluate(RouteScoreRequest request, Action<int, int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        torch.set_num_threads(JobRunner.TorchThreads());
        using var route = LoadRoute(request);
        var labelExtension = request.LabelExtension.Length > 0 ? request.LabelExtension : route.IsCtc ? "ltr" : "label";
        var (dataset, unknown) = LoadSplit(request, labelExtension, route);
        var prefix = request.MetricPrefix.Length > 0 ? request.MetricPrefix : request.Split;
        var predictions = request.KeepPredictions ? new List<UtterancePrediction>(dataset.Count) : null;
        var metrics = Evaluator.Evaluate(route.Backbone, route.Head, dataset, route.Labels, route.IsCtc, Math.Max(1, request.MaxTokens), prefix,
            request.Beam && route.IsCtc, progress, cancellationToken, predictions: predictions);
        return new RouteScore(route.Task, route.Language, route.IsCtc, dataset.Count, unknown,
            metrics.Where(m => double.IsFinite(m.Value)).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal))
        {
            Predictions = predictions ?? [],
        };
    }

    private static LoadedRoute LoadRoute(RouteScoreRequest request)
    {
        if (Directory.Exists(request.RoutePath))
        {
            return LoadFinetunedModel(request.RoutePath);
        }

        if (!File.Exists(request.RoutePath))
        {
            throw new NotFoundException($"Route '{request.RoutePath}' does not exist; expected a mask bundle (.safetensors) or a weights job's model directory.");
        }

        if (string.IsNullOrEmpty(request.BackbonePath))
        {
            throw new InvalidInputException("A mask bundle needs the backbone it was trained on.", "backbone");
        }

        var bundle = MaskBundle.Read(request.RoutePath);
        var weightsPath = Path.Combine(request.BackbonePath, "model.safetensors");
        if (!File.Exists(weightsPath))
        {
            throw new NotFoundException($"Backbone '{request.BackbonePath}' has no model.safetensors.");
        }

        var backbone = Wav2Vec2Model.LoadHuggingFace(request.BackbonePath);
        try
        {
            var weights = backbone.BackboneWeights();
            bundle.CheckCompatible(Sha256Digest.OfFile(weightsPath), weights.ToDictionary(w => w.Key, w => w.Value.Shape, StringComparer.Ordinal));
            if (bundle.Masks.Count > 0)
            {
                // W * M as plain weights: the forward of a masked layer with this mask, for every masked tensor kind.
                backbone.LoadWeights(ApplyMasks(weights, bundle.Masks));
            }

            var head = CreateHead(backbone, bundle.HeadKind == MaskHeadKind.Ctc, bundle.Labels.Count,
                bundle.Heads.ToDictionary(h => h.Name, h => (IReadOnlyList<long>)h.Shape, StringComparer.Ordinal));
            head.Import(bundle.Heads.ToDictionary(h => h.Name, h => new HostTensor(h.Values.ToArray(), [.. h.Shape]), StringComparer.Ordinal));
            return new LoadedRoute(backbone, head, bundle.Labels, bundle.HeadKind == MaskHeadKind.Ctc, bundle.Task, bundle.Language);
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    private static LoadedRoute LoadFinetunedModel(string directory)
    {
        var (tensors, isCtc, labels) = HeadFile.Read(Path.Combine(directory, HeadFile.FileName));
        var (task, language) = HeadFile.ReadRoute(Path.Combine(directory, HeadFile.FileName));
        var backbone = Wav2Vec2Model.LoadHuggingFace(directory);
        try
        {
            var head = CreateHead(backbone, isCtc, labels.Count, tensors.ToDictionary(t => t.Key, t => (IReadOnlyList<long>)t.Value.Shape, StringComparer.Ordinal));
            head.Import(tensors);
            return new LoadedRoute(backbone, head, labels, isCtc, task, language);
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The head a bundle's tensors describe (by name; a conv_max head's width and kernel from <c>head.conv.weight</c>,
    /// an ensemble's from its first member's, its size from the members present); a statistics-pooling or conv_max
    /// head also switches the backbone to its all-states features.
    /// </summary>
    private static TaskHead CreateHead(Wav2Vec2Model backbone, bool isCtc, int labels, IReadOnlyDictionary<string, IReadOnlyList<long>> shapes)
    {
        if (isCtc)
        {
            return new CtcHead(backbone.Config.HiddenSize, labels);
        }

        var pooling = PoolingOf(shapes.Keys);
        backbone.OutputsAllStates = pooling is ClassifierPooling.Stats or ClassifierPooling.ConvMax;
        if (pooling != ClassifierPooling.ConvMax)
        {
            return new ClassifierHead(backbone.OutputWidth, labels, pooling);
        }

        // One head under head.*, or an ensemble (members head.members.{k}.*; one member is allowed by the format).
        var members = HeadTensor.EnsembleMembers(shapes.Keys, HeadTensor.ConvMaxLayerLogits);
        var convWeight = (members > 0 ? HeadTensor.MemberPrefix(0) : HeadTensor.NamePrefix) + "conv.weight";
        if (!shapes.TryGetValue(convWeight, out var conv) || conv.Count != 3 || conv[0] < 1 || conv[2] < 1 || conv[2] % 2 == 0)
        {
            throw new InvalidInputException($"A conv_max head needs '{convWeight}' [C_out, H, K] with an odd K.", convWeight);
        }

        return members > 0
            ? new ConvMaxEnsemble(backbone.Config, labels, conv[0], conv[2], members)
            : new ConvMaxHead(backbone.Config, labels, conv[0], conv[2]);
    }

    /// <summary>The classifier pooling whose identifying tensor is present (docs/formats.md, "Route heads").</summary>
    internal static ClassifierPooling PoolingOf(IEnumerable<string> tensorNames)
    {
        var names = tensorNames.ToHashSet(StringComparer.Ordinal);
        return names.Contains(HeadTensor.NamePrefix + HeadTensor.ConvMaxLayerLogits)
            || names.Contains(HeadTensor.MemberPrefix(0) + HeadTensor.ConvMaxLayerLogits) ? ClassifierPooling.ConvMax
            : names.Contains(HeadTensor.NamePrefix + "norm.mean") ? ClassifierPooling.Stats
            : names.Contains(HeadTensor.NamePrefix + "attention.weight") ? ClassifierPooling.Attentive
            : ClassifierPooling.Mean;
    }

    private static Dictionary<string, HostTensor> ApplyMasks(IReadOnlyDictionary<string, HostTensor> weights, IReadOnlyList<MaskTensor> masks)
    {
        var masked = weights.ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
        foreach (var mask in masks)
        {
            var name = StripPrefix(mask.Name);
            var keep = mask.Unpack();
            var data = (float[])masked[name].Data.Clone();
            for (var i = 0; i < data.Length; i++)
            {
                if (!keep[i])
                {
                    data[i] = 0f;
                }
            }

            masked[name] = masked[name] with { Data = data };
        }

        return masked;
    }

    private static string StripPrefix(string name)
    {
        foreach (var prefix in new[] { "wav2vec2.", "hubert." })
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return name[prefix.Length..];
            }
        }

        return name;
    }

    private static (SpeechDataset Dataset, int Unknown) LoadSplit(RouteScoreRequest request, string labelExtension, LoadedRoute route)
    {
        if (!Directory.Exists(request.ManifestDir))
        {
            throw new NotFoundException($"Manifest directory '{request.ManifestDir}' does not exist.");
        }

        var entries = ManifestReader.Read(request.ManifestDir, request.Split, labelExtension);
        if (entries.Count == 0)
        {
            throw new InvalidInputException($"Split '{request.Split}' of '{request.ManifestDir}' has no utterances.", "split");
        }

        var missing = new Dictionary<string, int>(StringComparer.Ordinal);
        var affected = 0;
        var items = new List<DatasetItem>(entries.Count);
        if (route.IsCtc)
        {
            var vocabulary = new CtcVocabulary(route.Labels);
            var known = route.Labels.Skip(1).ToHashSet(StringComparer.Ordinal); // blank is never a transcript character
            foreach (var entry in entries)
            {
                var tokens = CtcVocabulary.Tokenize(entry.Label, labelExtension == "wrd");
                var unknown = tokens.Where(t => !known.Contains(t)).ToList();
                Count(unknown);
                items.Add(new DatasetItem(entry.AudioPath, entry.Samples, CtcText.TokensToText(tokens), vocabulary.Encode(tokens, out _)));
            }
        }
        else
        {
            var index = route.Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => (long)x.i, StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                var label = index.GetValueOrDefault(entry.Label, -1);
                Count(label < 0 ? [entry.Label] : []);
                items.Add(new DatasetItem(entry.AudioPath, entry.Samples, entry.Label, [label]));
            }
        }

        if (missing.Count > 0 && !request.AllowUnknownLabels)
        {
            throw new VocabularyMismatchException(request.Split, missing, affected, entries.Count);
        }

        return (new SpeechDataset(request.Split, items), missing.Values.Sum());

        void Count(IReadOnlyList<string> unknown)
        {
            affected += unknown.Count > 0 ? 1 : 0;
            foreach (var token in unknown)
            {
                missing[token] = missing.GetValueOrDefault(token) + 1;
            }
        }
    }

    private sealed record LoadedRoute(Wav2Vec2Model Backbone, TaskHead Head, IReadOnlyList<string> Labels, bool IsCtc, string Task, string Language)
        : IDisposable
    {
        public void Dispose()
        {
            Head.Dispose();
            Backbone.Dispose();
        }
    }
}
