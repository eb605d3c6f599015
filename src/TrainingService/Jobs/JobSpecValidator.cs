using System.Text.RegularExpressions;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Routes;

namespace S3Router.TrainingService.Jobs;

/// <summary>
/// Checks a <see cref="JobSpec"/> before it is queued, so a job fails at submit time rather than an hour in.
/// Every problem is collected and thrown at once as an <see cref="InvalidInputException"/> with field violations
/// (paths relative to the request, e.g. <c>spec.mask.prune_rate</c>). Paths are checked on this machine, where the job runs.
/// </summary>
internal static partial class JobSpecValidator
{
    public static readonly string[] InitScores = ["weight_rank", "weight_magnitude", "weight_magnitude_with_scale", "kaiming_uniform"];

    private static readonly string[] LabelExtensions = ["ltr", "wrd", "label"];
    private static readonly string[] Poolings = ["mean", "attentive", "stats", "conv_max"];

    /// <summary>Throws when <paramref name="spec"/> is not a job this worker can run.</summary>
    /// <param name="spec">The job.</param>
    /// <param name="prefix">Field path of the spec in the request (e.g. <c>spec</c>); empty for a config file.</param>
    public static void Validate(JobSpec? spec, string prefix = "spec")
    {
        if (spec is null)
        {
            throw new InvalidInputException($"{prefix} is required", prefix);
        }

        var violations = new List<FieldViolation>();
        string F(string field) => prefix.Length == 0 ? field : $"{prefix}.{field}";

        if (spec.Kind == JobKind.Unspecified || !Enum.IsDefined(spec.Kind))
        {
            violations.Add(new(F("kind"), "is required: JOB_KIND_MASK, JOB_KIND_WEIGHTS, JOB_KIND_PRUNE, JOB_KIND_HEAD, JOB_KIND_PRETRAIN or JOB_KIND_STRUCTURED_PRUNE"));
        }

        // The registry's own rules, so every valid job can be published.
        RouteNames.CheckTask(spec.Task, F("task"), violations);
        RouteNames.CheckLanguage(spec.LanguageCode, F("language_code"), violations);
        var taskOk = RouteNames.IsTask(spec.Task);

        CheckModelDirectory(spec.BackbonePath, F("backbone_path"), "the backbone", violations);
        if (spec.Kind == JobKind.Prune)
        {
            CheckModelDirectory(spec.FinetunedModelPath, F("finetuned_model_path"), "the finetuned model (a JOB_KIND_WEIGHTS output) to prune", violations);
        }

        if (!string.IsNullOrEmpty(spec.Pretrain?.TargetsBackbonePath))
        {
            CheckModelDirectory(spec.Pretrain.TargetsBackbonePath, F("pretrain.targets_backbone_path"), "the backbone whose hidden states are the pretraining targets", violations);
        }

        CheckStartBundle(spec, F, violations);
        CheckDataset(spec, taskOk, F, violations);
        CheckHead(spec.Head, F, violations);
        CheckMask(spec.Mask, F, violations);
        CheckOptimization(spec.Optimization, spec.Kind, F, violations);
        CheckPublish(spec, F, violations);

        InvalidInputException.ThrowIfAny(violations, "the job spec is invalid: ");
    }

    /// <summary>The head a spec trains: its own, else CTC for <c>asr</c> and a classifier for anything else.</summary>
    public static HeadKind EffectiveHead(JobSpec spec) =>
        spec.Head?.Kind is HeadKind.Ctc or HeadKind.Classifier ? spec.Head.Kind
        : spec.Task == "asr" ? HeadKind.Ctc : HeadKind.Classifier;

    private static void CheckModelDirectory(string path, string field, string what, List<FieldViolation> violations)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            violations.Add(new(field, $"is required: the directory of {what} (config.json + model.safetensors)"));
            return;
        }

        if (!Directory.Exists(path))
        {
            violations.Add(new(field, $"directory \"{path}\" does not exist on the training worker"));
            return;
        }

        var missing = new[] { "config.json", "model.safetensors" }.Where(f => !File.Exists(Path.Combine(path, f))).ToList();
        if (missing.Count > 0)
        {
            violations.Add(new(field, $"\"{path}\" has no {string.Join(" and no ", missing)}"));
        }
    }

    /// <summary>
    /// A start bundle must be a readable mask bundle of this very backbone with the job's head kind, on a job kind
    /// that starts from a route; the backbone is hashed here (once per submit) so a wrong route fails now.
    /// </summary>
    private static void CheckStartBundle(JobSpec spec, Func<string, string> f, List<FieldViolation> violations)
    {
        var path = spec.StartBundlePath;
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        var field = f("start_bundle_path");
        if (spec.Kind is not (JobKind.StructuredPrune or JobKind.Head))
        {
            violations.Add(new(field, $"is for JOB_KIND_STRUCTURED_PRUNE and JOB_KIND_HEAD; a {spec.Kind} job cannot start from a mask bundle"));
            return;
        }

        if (spec.FinetunedModelPath.Length > 0)
        {
            violations.Add(new(field, "excludes finetuned_model_path: start from a route or from a finetuned model, not both"));
            return;
        }

        if (!File.Exists(path))
        {
            violations.Add(new(field, $"file \"{Shorten(path)}\" does not exist on the training worker"));
            return;
        }

        MaskBundle bundle;
        try
        {
            bundle = MaskBundle.Read(path);
        }
        catch (Exception e) when (e is InvalidInputException or IOException or UnauthorizedAccessException)
        {
            violations.Add(new(field, $"\"{Shorten(path)}\" is not a mask bundle: {e.Message}"));
            return;
        }

        var bundleHead = bundle.HeadKind == MaskHeadKind.Ctc ? HeadKind.Ctc : HeadKind.Classifier;
        if (bundleHead != EffectiveHead(spec))
        {
            violations.Add(new(field, $"the bundle's head is {(bundleHead == HeadKind.Ctc ? "CTC" : "a classifier")}, but the job trains {(bundleHead == HeadKind.Ctc ? "a classifier" : "CTC")}: set head.kind to the route's"));
        }

        var weights = Path.Combine(spec.BackbonePath, "model.safetensors");
        if (File.Exists(weights))
        {
            var digest = Sha256Digest.OfFile(weights);
            if (!string.Equals(bundle.BackboneDigest, digest, StringComparison.OrdinalIgnoreCase))
            {
                violations.Add(new(field, $"the bundle belongs to backbone {bundle.BackboneDigest}, but backbone_path holds {digest}"));
            }
        }
    }

    private static void CheckDataset(JobSpec spec, bool taskOk, Func<string, string> f, List<FieldViolation> violations)
    {
        var dataset = spec.Dataset;
        if (dataset is null || string.IsNullOrWhiteSpace(dataset.ManifestDir))
        {
            violations.Add(new(f("dataset.manifest_dir"), "is required: the directory holding <split>.tsv manifests and their label files"));
            return;
        }

        var splitsOk = true;
        foreach (var (name, field) in new[] { (dataset.TrainSplit, "train_split"), (dataset.ValidSplit, "valid_split"), (dataset.TestSplit, "test_split") })
        {
            if (name.Length > 0 && !SplitPattern().IsMatch(name))
            {
                violations.Add(new(f($"dataset.{field}"), $"\"{Shorten(name)}\" is not a split name: letters, digits, '.', '_' and '-' only"));
                splitsOk = false;
            }
        }

        var extension = dataset.LabelExtension;
        if (extension.Length > 0 && !LabelExtensions.Contains(extension))
        {
            violations.Add(new(f("dataset.label_extension"), $"\"{Shorten(extension)}\" is not a label extension: use \"ltr\", \"wrd\" or \"label\""));
            extension = "";
            splitsOk = false;
        }

        if (!Directory.Exists(dataset.ManifestDir))
        {
            violations.Add(new(f("dataset.manifest_dir"), $"directory \"{dataset.ManifestDir}\" does not exist on the training worker"));
            return;
        }

        if (!splitsOk)
        {
            return;
        }

        if (extension.Length == 0)
        {
            extension = EffectiveHead(spec) == HeadKind.Ctc ? "ltr" : "label";
        }

        // Without a valid task the default label file is unknown; the task's own violation says enough.
        var needsLabels = spec.Kind != JobKind.Pretrain && (taskOk || dataset.LabelExtension.Length > 0 || spec.Head?.Kind is HeadKind.Ctc or HeadKind.Classifier);
        var missing = new List<string>();
        foreach (var split in new[] { Or(dataset.TrainSplit, "train"), Or(dataset.ValidSplit, "valid"), Or(dataset.TestSplit, "test") })
        {
            foreach (var file in needsLabels ? new[] { $"{split}.tsv", $"{split}.{extension}" } : [$"{split}.tsv"])
            {
                if (!File.Exists(Path.Combine(dataset.ManifestDir, file)))
                {
                    missing.Add(file);
                }
            }
        }

        if (missing.Count > 0)
        {
            violations.Add(new(f("dataset.manifest_dir"), $"\"{dataset.ManifestDir}\" is missing {string.Join(", ", missing)}"));
        }
    }

    private static void CheckHead(HeadSpec? head, Func<string, string> f, List<FieldViolation> violations)
    {
        if (head is null)
        {
            return;
        }

        if (!Enum.IsDefined(head.Kind))
        {
            violations.Add(new(f("head.kind"), $"{(int)head.Kind} is not a head kind: HEAD_KIND_CTC or HEAD_KIND_CLASSIFIER"));
        }

        if (head.Pooling.Length > 0 && !Poolings.Contains(head.Pooling))
        {
            violations.Add(new(f("head.pooling"), $"\"{Shorten(head.Pooling)}\" is not a pooling: use \"mean\", \"attentive\", \"stats\" or \"conv_max\""));
        }

        // 0 means the default; the ranges are JobOptions'.
        if (head.ConvWidth < 0 || head.ConvWidth > Training.JobOptions.MaxConvWidth)
        {
            violations.Add(new(f("head.conv_width"), $"{head.ConvWidth} is not a channel count: use 1 to {Training.JobOptions.MaxConvWidth}, or 0 for 256"));
        }

        if (head.ConvKernel < 0 || head.ConvKernel > Training.JobOptions.MaxConvKernel || (head.ConvKernel > 0 && head.ConvKernel % 2 == 0))
        {
            violations.Add(new(f("head.conv_kernel"), $"{head.ConvKernel} is not a kernel width: use an odd number of frames from 1 to {Training.JobOptions.MaxConvKernel}, or 0 for 5"));
        }

        if (head.EnsembleSize < 0 || head.EnsembleSize > Training.JobOptions.MaxEnsembleSize)
        {
            violations.Add(new(f("head.ensemble_size"), $"{head.EnsembleSize} is not a head count: use 1 to {Training.JobOptions.MaxEnsembleSize}, or 0 for 1"));
        }

        if ((head.ConvWidth != 0 || head.ConvKernel != 0 || head.EnsembleSize != 0) && head.Pooling != "conv_max")
        {
            var field = head.ConvWidth != 0 ? "head.conv_width" : head.ConvKernel != 0 ? "head.conv_kernel" : "head.ensemble_size";
            violations.Add(new(f(field), "is for pooling \"conv_max\""));
        }
    }

    private static void CheckMask(MaskSpec? mask, Func<string, string> f, List<FieldViolation> violations)
    {
        if (mask is null)
        {
            return;
        }

        if (!double.IsFinite(mask.ComputeKeep) || mask.ComputeKeep < 0 || mask.ComputeKeep > 1)
        {
            violations.Add(new(f("mask.compute_keep"), $"{mask.ComputeKeep} is not a fraction of FLOPs kept: use a number in (0, 1], e.g. 0.6 for 40% less compute, or 0 for the default"));
        }

        // 0 means the kind's default; anything else is the fraction kept.
        if (!double.IsFinite(mask.PruneRate) || mask.PruneRate < 0 || mask.PruneRate > 1)
        {
            violations.Add(new(f("mask.prune_rate"), $"{mask.PruneRate} is not a keep fraction: use a number in (0, 1], e.g. 0.9 keeps 90% of each tensor, or 0 for the default"));
        }

        if (mask.InitScore.Length > 0 && !InitScores.Contains(mask.InitScore))
        {
            violations.Add(new(f("mask.init_score"), $"\"{Shorten(mask.InitScore)}\" is not a score init: use one of {string.Join(", ", InitScores.Select(s => $"\"{s}\""))}"));
        }

        if (!Enum.IsDefined(mask.Scope))
        {
            violations.Add(new(f("mask.scope"), $"{(int)mask.Scope} is not a mask scope"));
        }
    }

    private static void CheckOptimization(OptimizationSpec? o, JobKind kind, Func<string, string> f, List<FieldViolation> violations)
    {
        if (o is null)
        {
            return;
        }

        if (!double.IsFinite(o.LearningRate) || o.LearningRate < 0)
        {
            violations.Add(new(f("optimization.learning_rate"), $"{o.LearningRate} is not a learning rate: use a positive number, or 0 for the default"));
        }

        foreach (var (value, field) in new[] { (o.MaxSteps, "max_steps"), (o.MaxTokens, "max_tokens"), (o.FreezeSteps, "freeze_steps"), (o.EvalIntervalSteps, "eval_interval_steps"), ((long)o.CheckpointIntervalSteps, "checkpoint_interval_steps") })
        {
            if (value < 0)
            {
                violations.Add(new(f($"optimization.{field}"), $"{value} is negative: use a positive number, or 0 for the default"));
            }
        }

        if (!(o.HeadWeightDecay is >= 0 and < 1))
        {
            violations.Add(new(f("optimization.head_weight_decay"), $"{o.HeadWeightDecay} is not a weight decay: use a number in [0, 1), e.g. 0.01, or 0 for none"));
        }

        if (!(o.AdamBeta2 is >= 0 and < 1))
        {
            violations.Add(new(f("optimization.adam_beta2"), $"{o.AdamBeta2} is not a decay rate: use a number in (0, 1), e.g. 0.999, or 0 for 0.98"));
        }

        if (!(o.TimeMaskProb is >= 0 and < 1))
        {
            violations.Add(new(f("optimization.time_mask_prob"), $"{o.TimeMaskProb} is not a fraction of frames: use a number in [0, 1), e.g. 0.05, or 0 for none"));
        }
        else if (o.TimeMaskProb > 0 && kind is JobKind.Head or JobKind.StructuredPrune or JobKind.Pretrain)
        {
            violations.Add(new(f("optimization.time_mask_prob"), $"{kind} jobs do not run the backbone in their steps (pretraining masks on its own): leave time_mask_prob at 0"));
        }

        var fractions = new[] { (o.WarmupFraction, "warmup_fraction"), (o.HoldFraction, "hold_fraction"), (o.DecayFraction, "decay_fraction") };
        var fractionsOk = true;
        foreach (var (value, field) in fractions)
        {
            if (!double.IsFinite(value) || value < 0 || value > 1)
            {
                violations.Add(new(f($"optimization.{field}"), $"{value} is not a fraction of max_steps in [0, 1]"));
                fractionsOk = false;
            }
        }

        var sum = o.WarmupFraction + o.HoldFraction + o.DecayFraction;
        if (fractionsOk && sum != 0 && Math.Abs(sum - 1) > 1e-6)
        {
            violations.Add(new(f("optimization.warmup_fraction"), $"warmup + hold + decay fractions add up to {sum}: they must add up to 1, or all be 0 for 0.1 / 0.4 / 0.5"));
        }
    }

    private static void CheckPublish(JobSpec spec, Func<string, string> f, List<FieldViolation> violations)
    {
        var publish = spec.Publish;
        if (publish is null)
        {
            return;
        }

        if (publish.Publish && spec.Kind is JobKind.Weights or JobKind.Pretrain)
        {
            violations.Add(new(f("publish.publish"), $"a {spec.Kind} job exports a model directory, not a mask bundle, so it cannot be published to the mask registry"));
        }

        if (publish.SetAlias.Length > 0)
        {
            if (!publish.Publish)
            {
                violations.Add(new(f("publish.set_alias"), "needs publish.publish = true"));
            }
            else
            {
                RouteNames.CheckAlias(publish.SetAlias, f("publish.set_alias"), violations);
            }
        }

        if (publish.RegistryAddress.Length > 0
            && (!Uri.TryCreate(publish.RegistryAddress, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            violations.Add(new(f("publish.registry_address"), $"\"{Shorten(publish.RegistryAddress)}\" is not an http:// or https:// address"));
        }
    }

    private static string Or(string value, string fallback) => value.Length == 0 ? fallback : value;

    private static string Shorten(string value) => value.Length <= 80 ? value : value[..77] + "...";

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\z")]
    private static partial Regex SplitPattern();
}
