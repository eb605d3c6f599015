using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.TrainingService.Model;
using CoreMaskScope = S3Router.Core.Backbones.MaskScope;

namespace S3Router.TrainingService.Training;

/// <summary>A <see cref="JobSpec"/> with every default of training.proto applied and every value checked.</summary>
internal sealed record JobOptions
{
    /// <summary>Peak learning rate when the spec leaves it 0: the wav2vec2 base_1h recipe's 5e-5 (the S3-Router recipes keep it).</summary>
    public const double DefaultLearningRate = 5e-5;

    /// <summary>Steps when the spec leaves it 0: base_1h's 13,000 updates.</summary>
    public const long DefaultMaxSteps = 13_000;

    /// <summary>Peak learning rate of a pretraining job when the spec leaves it 0 (HuBERT base: 5e-4).</summary>
    public const double DefaultPretrainLearningRate = 5e-4;

    /// <summary>Peak learning rate of the head warm-up (LP-FT) when the spec leaves it 0.</summary>
    public const double DefaultHeadWarmupLearningRate = 2e-3;

    /// <summary>Steps of a pretraining job when the spec leaves it 0.</summary>
    public const long DefaultPretrainSteps = 2_000;

    /// <summary>Prefix of a pretraining job's backbone_path naming a preset to start from at random (<c>preset:tiny</c>).</summary>
    public const string PresetPrefix = "preset:";

    public const long DefaultMaxTokens = 1_280_000;

    /// <summary>Longest classifier training input; longer utterances are cropped at a seeded offset (fairseq's max_sample_size).</summary>
    public const long MaxClassifierSamples = 250_000;

    /// <summary>Steps of a structured-prune job's head finetune when the spec leaves it 0.</summary>
    public const long DefaultStructuredPruneSteps = 300;

    /// <summary>Fraction of FLOPs a structured-prune job keeps when the spec leaves it 0.</summary>
    public const double DefaultComputeKeep = 0.7;

    /// <summary>k-means clusters of a pretraining job's targets when the spec leaves it 0 (HuBERT iteration 1 uses 100).</summary>
    public const int DefaultPretrainClusters = 100;

    /// <summary>Most k-means clusters a pretraining job accepts.</summary>
    public const int MaxPretrainClusters = 10_000;

    /// <summary>Most output channels of a conv_max head's convolution.</summary>
    public const int MaxConvWidth = 4096;

    /// <summary>Widest kernel (frames) of a conv_max head's convolution.</summary>
    public const int MaxConvKernel = 63;

    /// <summary>Most conv_max heads of one ensemble route.</summary>
    public const int MaxEnsembleSize = 16;

    /// <summary>Global L2 norm of the gradients is clipped to this.</summary>
    public const double GradientClipNorm = 10.0;

    public required JobKind Kind { get; init; }

    public required string Task { get; init; }

    public required string Language { get; init; }

    public required string BackbonePath { get; init; }

    public required string FinetunedModelPath { get; init; }

    /// <summary>Mask bundle (route) the job starts from, or empty (see training.proto <c>start_bundle_path</c>). Default: empty.</summary>
    public string StartBundlePath { get; init; } = "";

    public required string ManifestDir { get; init; }

    public required string TrainSplit { get; init; }

    public required string ValidSplit { get; init; }

    public required string TestSplit { get; init; }

    public required string LabelExtension { get; init; }

    public required bool IsCtc { get; init; }

    /// <summary>Classifier pooling (ignored by CTC heads).</summary>
    public required Heads.ClassifierPooling Pooling { get; init; }

    /// <summary>Output channels of a conv_max head's convolution. Default: <see cref="Heads.ConvMaxHead.DefaultWidth"/>.</summary>
    public int ConvWidth { get; init; } = Heads.ConvMaxHead.DefaultWidth;

    /// <summary>Kernel width (frames, odd) of a conv_max head's convolution. Default: <see cref="Heads.ConvMaxHead.DefaultKernel"/>.</summary>
    public int ConvKernel { get; init; } = Heads.ConvMaxHead.DefaultKernel;

    /// <summary>conv_max heads trained side by side whose averaged probabilities the route answers with. Default: 1.</summary>
    public int EnsembleSize { get; init; } = 1;

    /// <summary>Decoupled (AdamW) weight decay of the head's parameters, in [0, 1). Default: 0 (none).</summary>
    public double HeadWeightDecay { get; init; }

    /// <summary>Adam's second-moment decay rate β2, in (0, 1). Default: <see cref="AdamOptimizer.DefaultBeta2"/>.</summary>
    public double AdamBeta2 { get; init; } = AdamOptimizer.DefaultBeta2;

    /// <summary>
    /// SpecAugment time masking in the steps that run the backbone: about this fraction of each utterance's valid frames
    /// is covered by spans of <see cref="Pretraining.SpanMasker.SpanLength"/> (training.proto <c>time_mask_prob</c>), in [0, 1). Default: 0 (none).
    /// </summary>
    public double TimeMaskProb { get; init; }

    /// <summary>Whether the head reads the all-states features (<see cref="Wav2Vec2Model.OutputsAllStates"/>): stats and conv_max classifiers.</summary>
    public bool ReadsAllStates => !IsCtc && Pooling is Heads.ClassifierPooling.Stats or Heads.ClassifierPooling.ConvMax;

    public required double PruneRate { get; init; }

    public required ScoreInit InitScore { get; init; }

    public required string InitScoreName { get; init; }

    public required CoreMaskScope Scope { get; init; }

    public required bool TrainableProj { get; init; }

    public required double LearningRate { get; init; }

    public required long MaxSteps { get; init; }

    public required long MaxTokens { get; init; }

    public required double WarmupFraction { get; init; }

    public required double HoldFraction { get; init; }

    public required double DecayFraction { get; init; }

    public required long FreezeSteps { get; init; }

    public required long HeadWarmupSteps { get; init; }

    public required double UnmaskedLossWeight { get; init; }

    public required double HeadWarmupLearningRate { get; init; }

    /// <summary>
    /// Frozen backbone directory whose layer <see cref="TargetsLayer"/> hidden states, clustered, are a pretraining
    /// job's targets; empty for MFCC targets (see training.proto <c>targets_backbone_path</c>). Default: empty.
    /// </summary>
    public string TargetsBackbonePath { get; init; } = "";

    /// <summary>Layer of <see cref="TargetsBackbonePath"/>: 0 = transformer input, n = output of layer n. Default: 0 (unused without a path).</summary>
    public int TargetsLayer { get; init; }

    /// <summary>k-means clusters of a pretraining job's targets. Default: <see cref="DefaultPretrainClusters"/>.</summary>
    public int Clusters { get; init; } = DefaultPretrainClusters;

    public required int EvalIntervalSteps { get; init; }

    public required int CheckpointIntervalSteps { get; init; }

    public required long Seed { get; init; }

    /// <summary>Fraction of forward FLOPs a structured-prune job keeps, in (0, 1].</summary>
    public double ComputeKeep { get; init; } = DefaultComputeKeep;

    /// <summary>Token dropping written into the bundle, or null.</summary>
    public TokenDroppingSettings? TokenDropping { get; init; }

    /// <summary>Whether the job trains only the head on a frozen backbone (head and structured-prune jobs).</summary>
    public bool HeadOnly => Kind is JobKind.Head or JobKind.StructuredPrune;

    /// <summary>Whether the backbone carries learned masks (mask and prune jobs).</summary>
    public bool IsMasked => Kind is JobKind.Mask or JobKind.Prune;

    /// <summary>The backbone the masks or head apply to: the finetuned model for prune jobs.</summary>
    public string EffectiveBackbonePath => Kind == JobKind.Prune ? FinetunedModelPath : BackbonePath;

    public static JobOptions Resolve(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var violations = new List<FieldViolation>();
        void Check(bool ok, string field, string message)
        {
            if (!ok)
            {
                violations.Add(new FieldViolation(field, message));
            }
        }

        var isPretrain = spec.Kind == JobKind.Pretrain;
        Check(spec.Kind is JobKind.Mask or JobKind.Weights or JobKind.Prune or JobKind.Head or JobKind.Pretrain or JobKind.StructuredPrune, "kind",
            $"Job kind {spec.Kind} is not one of MASK, WEIGHTS, PRUNE, HEAD, PRETRAIN, STRUCTURED_PRUNE.");
        Check(isPretrain || !string.IsNullOrWhiteSpace(spec.Task), "task", "task is required (e.g. \"asr\", \"speaker\", \"intent\").");
        Check(spec.Kind == JobKind.Prune || !string.IsNullOrWhiteSpace(spec.BackbonePath), "backbone_path", "backbone_path is required.");
        Check(spec.Kind != JobKind.Prune || !string.IsNullOrWhiteSpace(spec.FinetunedModelPath), "finetuned_model_path", "A prune job needs finetuned_model_path (the output of a weights job).");
        var startBundle = spec.StartBundlePath ?? "";
        Check(startBundle.Length == 0 || spec.Kind is JobKind.StructuredPrune or JobKind.Head, "start_bundle_path",
            $"start_bundle_path is for STRUCTURED_PRUNE and HEAD jobs; a {spec.Kind} job cannot start from a mask bundle.");
        Check(startBundle.Length == 0 || string.IsNullOrEmpty(spec.FinetunedModelPath), "start_bundle_path",
            "start_bundle_path and finetuned_model_path exclude each other: start from a route or from a finetuned model, not both.");
        Check(!string.IsNullOrWhiteSpace(spec.Dataset?.ManifestDir), "dataset.manifest_dir", "dataset.manifest_dir is required.");

        var head = spec.Head ?? new HeadSpec();
        var isCtc = head.Kind switch
        {
            HeadKind.Ctc => true,
            HeadKind.Classifier => false,
            _ => string.Equals(spec.Task, "asr", StringComparison.OrdinalIgnoreCase),
        };
        var pooling = string.IsNullOrEmpty(head.Pooling) ? "mean" : head.Pooling;
        Check(pooling is "mean" or "attentive" or "stats" or "conv_max", "head.pooling",
            $"pooling must be \"mean\", \"attentive\", \"stats\" or \"conv_max\"; found \"{pooling}\".");
        // Token dropping removes frames between the conv features and the transformer; the all-states heads are served
        // from the all-states session, which runs without it.
        Check(isCtc || pooling is not ("stats" or "conv_max") || spec.TokenDropping is null, "head.pooling",
            $"pooling \"{pooling}\" cannot be combined with token_dropping.");
        var convMax = !isCtc && pooling == "conv_max";
        Check(head.ConvWidth == 0 || convMax, "head.conv_width", "conv_width is for a classifier with pooling \"conv_max\".");
        Check(head.ConvKernel == 0 || convMax, "head.conv_kernel", "conv_kernel is for a classifier with pooling \"conv_max\".");
        Check(head.EnsembleSize == 0 || convMax, "head.ensemble_size", "ensemble_size is for a classifier with pooling \"conv_max\".");
        Check(head.EnsembleSize is >= 0 and <= MaxEnsembleSize, "head.ensemble_size",
            $"ensemble_size must be in [1, {MaxEnsembleSize}] (0 = 1); found {head.EnsembleSize}.");
        Check(head.ConvWidth is >= 0 and <= MaxConvWidth, "head.conv_width",
            $"conv_width must be in [1, {MaxConvWidth}] (0 = {Heads.ConvMaxHead.DefaultWidth}); found {head.ConvWidth}.");
        Check(head.ConvKernel == 0 || (head.ConvKernel is > 0 and <= MaxConvKernel && head.ConvKernel % 2 == 1), "head.conv_kernel",
            $"conv_kernel must be odd, in [1, {MaxConvKernel}] (0 = {Heads.ConvMaxHead.DefaultKernel}), so the convolution is centred on its frame; found {head.ConvKernel}.");

        var dataset = spec.Dataset ?? new DatasetSpec();
        var labelExtension = string.IsNullOrEmpty(dataset.LabelExtension) ? (isCtc ? "ltr" : "label") : dataset.LabelExtension;
        Check(labelExtension.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'), "dataset.label_extension", "label_extension must be a plain file extension such as \"ltr\".");

        var isPrune = spec.Kind == JobKind.Prune;
        var mask = spec.Mask ?? new MaskSpec();
        var pruneRate = mask.PruneRate == 0 ? (isPrune ? 0.3 : 0.9) : mask.PruneRate;
        Check(pruneRate > 0 && pruneRate <= 1, "mask.prune_rate", $"prune_rate is the kept fraction, in (0, 1]; found {mask.PruneRate}.");
        var initName = string.IsNullOrEmpty(mask.InitScore) ? (isPrune ? "weight_magnitude_with_scale" : "weight_rank") : mask.InitScore;
        ScoreInit? init = initName switch
        {
            "weight_rank" => ScoreInit.WeightRank,
            "weight_magnitude" => ScoreInit.WeightMagnitude,
            "weight_magnitude_with_scale" => ScoreInit.WeightMagnitudeWithScale,
            "kaiming_uniform" => ScoreInit.KaimingUniform,
            _ => null,
        };
        Check(init is not null, "mask.init_score", $"init_score must be weight_rank, weight_magnitude, weight_magnitude_with_scale or kaiming_uniform; found \"{initName}\".");
        var scope = mask.Scope switch
        {
            Api.V1.MaskScope.Ffn => CoreMaskScope.FeedForward,
            Api.V1.MaskScope.FfnAttention => CoreMaskScope.FeedForwardAndAttention,
            Api.V1.MaskScope.FfnAttentionProjection => CoreMaskScope.AllLinear,
            _ => isPrune ? CoreMaskScope.FeedForwardAndAttention : CoreMaskScope.FeedForward,
        };

        var optimization = spec.Optimization ?? new OptimizationSpec();
        Check(optimization.LearningRate >= 0 && double.IsFinite(optimization.LearningRate), "optimization.learning_rate", "learning_rate must be a finite number ≥ 0.");
        Check(optimization.MaxSteps >= 0, "optimization.max_steps", "max_steps must be ≥ 0.");
        Check(optimization.MaxTokens >= 0, "optimization.max_tokens", "max_tokens must be ≥ 0.");
        Check(optimization.FreezeSteps >= 0, "optimization.freeze_steps", "freeze_steps must be ≥ 0.");
        var pretrain = spec.Pretrain ?? new PretrainSpec();
        Check(pretrain.UnmaskedLossWeight is >= 0 and <= 1, "pretrain.unmasked_loss_weight", $"unmasked_loss_weight must be in [0, 1]; found {pretrain.UnmaskedLossWeight}.");
        var targetsBackbone = pretrain.TargetsBackbonePath ?? "";
        Check(targetsBackbone.Length == 0 || pretrain.HasTargetsLayer, "pretrain.targets_layer",
            "targets_layer is required with targets_backbone_path: the layer whose hidden states are clustered (0 = transformer input, n = output of layer n).");
        Check(targetsBackbone.Length > 0 || !pretrain.HasTargetsLayer, "pretrain.targets_layer",
            "targets_layer needs targets_backbone_path, the backbone whose layer is clustered.");
        Check(!pretrain.HasTargetsLayer || pretrain.TargetsLayer >= 0, "pretrain.targets_layer", $"targets_layer must be ≥ 0; found {pretrain.TargetsLayer}.");
        Check(pretrain.Clusters == 0 || pretrain.Clusters is >= 2 and <= MaxPretrainClusters, "pretrain.clusters",
            $"clusters must be in [2, {MaxPretrainClusters}] (0 = {DefaultPretrainClusters}); found {pretrain.Clusters}.");
        Check(optimization.HeadWarmupSteps >= 0, "optimization.head_warmup_steps", "head_warmup_steps must be ≥ 0.");
        Check(optimization.HeadWarmupLearningRate >= 0 && double.IsFinite(optimization.HeadWarmupLearningRate), "optimization.head_warmup_learning_rate",
            "head_warmup_learning_rate must be a finite number ≥ 0.");
        Check(optimization.HeadWeightDecay is >= 0 and < 1, "optimization.head_weight_decay",
            $"head_weight_decay must be in [0, 1); found {optimization.HeadWeightDecay}.");
        Check(optimization.AdamBeta2 is >= 0 and < 1, "optimization.adam_beta2",
            $"adam_beta2 must be in (0, 1) (0 = {AdamOptimizer.DefaultBeta2}); found {optimization.AdamBeta2}.");
        Check(optimization.TimeMaskProb is >= 0 and < 1, "optimization.time_mask_prob",
            $"time_mask_prob must be in [0, 1); found {optimization.TimeMaskProb}.");
        Check(optimization.TimeMaskProb == 0 || spec.Kind is JobKind.Mask or JobKind.Weights or JobKind.Prune, "optimization.time_mask_prob",
            $"time_mask_prob needs a job whose steps run the backbone (mask, weights, prune); {spec.Kind} jobs do not.");
        Check(optimization.EvalIntervalSteps >= 0, "optimization.eval_interval_steps", "eval_interval_steps must be ≥ 0.");
        Check(optimization.CheckpointIntervalSteps >= 0, "optimization.checkpoint_interval_steps", "checkpoint_interval_steps must be ≥ 0.");
        double warmup = optimization.WarmupFraction, hold = optimization.HoldFraction, decay = optimization.DecayFraction;
        if (warmup == 0 && hold == 0 && decay == 0)
        {
            (warmup, hold, decay) = (0.1, 0.4, 0.5);
        }

        Check(warmup >= 0 && hold >= 0 && decay >= 0 && warmup + hold + decay <= 1.0 + 1e-9, "optimization.warmup_fraction",
            $"warmup, hold and decay fractions must be ≥ 0 and sum to at most 1; found {warmup}, {hold}, {decay}.");

        var computeKeep = mask.ComputeKeep == 0 ? DefaultComputeKeep : mask.ComputeKeep;
        Check(computeKeep > 0 && computeKeep <= 1, "mask.compute_keep", $"compute_keep is the fraction of FLOPs kept, in (0, 1]; found {mask.ComputeKeep}.");
        TokenDroppingSettings? dropping = null;
        if (spec.TokenDropping is { } td)
        {
            dropping = new TokenDroppingSettings
            {
                SilenceDbfs = td.HasSilenceDbfs ? td.SilenceDbfs : null,
                RepeatCosine = td.HasRepeatCosine ? td.RepeatCosine : null,
                MarginFrames = td.HasMarginFrames ? td.MarginFrames : 1,
            };
            try
            {
                dropping.Validate();
            }
            catch (InvalidInputException e)
            {
                violations.Add(new FieldViolation("token_dropping", e.Message));
            }
        }

        if (violations.Count > 0)
        {
            throw new InvalidInputException($"Invalid job spec: {string.Join(" ", violations.Select(v => v.Description))}", violations);
        }

        return new JobOptions
        {
            Kind = spec.Kind,
            Task = isPretrain && string.IsNullOrWhiteSpace(spec.Task) ? "pretrain" : spec.Task,
            Language = spec.LanguageCode ?? "",
            BackbonePath = spec.BackbonePath ?? "",
            FinetunedModelPath = spec.FinetunedModelPath ?? "",
            StartBundlePath = startBundle,
            ManifestDir = dataset.ManifestDir,
            TrainSplit = string.IsNullOrEmpty(dataset.TrainSplit) ? "train" : dataset.TrainSplit,
            ValidSplit = string.IsNullOrEmpty(dataset.ValidSplit) ? "valid" : dataset.ValidSplit,
            TestSplit = string.IsNullOrEmpty(dataset.TestSplit) ? "test" : dataset.TestSplit,
            LabelExtension = labelExtension,
            IsCtc = isCtc,
            Pooling = pooling switch
            {
                "attentive" => Heads.ClassifierPooling.Attentive,
                "stats" => Heads.ClassifierPooling.Stats,
                "conv_max" => Heads.ClassifierPooling.ConvMax,
                _ => Heads.ClassifierPooling.Mean,
            },
            ConvWidth = head.ConvWidth == 0 ? Heads.ConvMaxHead.DefaultWidth : head.ConvWidth,
            ConvKernel = head.ConvKernel == 0 ? Heads.ConvMaxHead.DefaultKernel : head.ConvKernel,
            EnsembleSize = Math.Max(1, head.EnsembleSize),
            HeadWeightDecay = optimization.HeadWeightDecay,
            AdamBeta2 = optimization.AdamBeta2 > 0 ? optimization.AdamBeta2 : AdamOptimizer.DefaultBeta2,
            TimeMaskProb = optimization.TimeMaskProb,
            PruneRate = pruneRate,
            InitScore = init!.Value,
            InitScoreName = initName,
            Scope = scope,
            TrainableProj = !mask.HasTrainableProj || mask.TrainableProj,
            LearningRate = optimization.LearningRate != 0 ? optimization.LearningRate : isPretrain ? DefaultPretrainLearningRate : DefaultLearningRate,
            MaxSteps = optimization.MaxSteps != 0 ? optimization.MaxSteps
                : isPretrain ? DefaultPretrainSteps : spec.Kind == JobKind.StructuredPrune ? DefaultStructuredPruneSteps : DefaultMaxSteps,
            MaxTokens = optimization.MaxTokens == 0 ? DefaultMaxTokens : optimization.MaxTokens,
            WarmupFraction = warmup,
            HoldFraction = hold,
            DecayFraction = decay,
            FreezeSteps = optimization.FreezeSteps,
            UnmaskedLossWeight = pretrain.UnmaskedLossWeight,
            TargetsBackbonePath = targetsBackbone,
            TargetsLayer = pretrain.HasTargetsLayer ? pretrain.TargetsLayer : 0,
            Clusters = pretrain.Clusters == 0 ? DefaultPretrainClusters : pretrain.Clusters,
            HeadWarmupSteps = spec.Kind is JobKind.Mask or JobKind.Weights or JobKind.Prune ? optimization.HeadWarmupSteps : 0,
            HeadWarmupLearningRate = optimization.HeadWarmupLearningRate != 0 ? optimization.HeadWarmupLearningRate : DefaultHeadWarmupLearningRate,
            EvalIntervalSteps = optimization.EvalIntervalSteps == 0 ? 100 : optimization.EvalIntervalSteps,
            CheckpointIntervalSteps = optimization.CheckpointIntervalSteps == 0 ? 200 : optimization.CheckpointIntervalSteps,
            Seed = spec.Seed,
            ComputeKeep = computeKeep,
            TokenDropping = dropping,
        };
    }
}
