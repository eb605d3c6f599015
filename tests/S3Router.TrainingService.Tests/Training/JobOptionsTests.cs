using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training;
using CoreMaskScope = S3Router.Core.Backbones.MaskScope;

namespace S3Router.TrainingService.Tests.Training;

public sealed class JobOptionsTests
{
    [Fact]
    public void Resolve_EmptyMaskSpec_AppliesS3RouterDefaults()
    {
        // Act
        var options = JobOptions.Resolve(Spec(JobKind.Mask));

        // Assert
        Assert.Equal(0.9, options.PruneRate);
        Assert.Equal(ScoreInit.WeightRank, options.InitScore);
        Assert.Equal(CoreMaskScope.FeedForward, options.Scope);
        Assert.True(options.TrainableProj);
        Assert.True(options.IsCtc);
        Assert.Equal("ltr", options.LabelExtension);
        Assert.Equal(("train", "valid", "test"), (options.TrainSplit, options.ValidSplit, options.TestSplit));
        Assert.Equal((0.1, 0.4, 0.5), (options.WarmupFraction, options.HoldFraction, options.DecayFraction));
        Assert.Equal(1_280_000, options.MaxTokens);
        Assert.Equal((100, 200), (options.EvalIntervalSteps, options.CheckpointIntervalSteps));
    }

    [Fact]
    public void Resolve_PruneJob_KeepsThirtyPercentWithAttentionAndScaledMagnitude()
    {
        // Arrange
        var spec = Spec(JobKind.Prune);
        spec.FinetunedModelPath = "/models/ft";

        // Act
        var options = JobOptions.Resolve(spec);

        // Assert
        Assert.Equal(0.3, options.PruneRate);
        Assert.Equal(ScoreInit.WeightMagnitudeWithScale, options.InitScore);
        Assert.Equal(CoreMaskScope.FeedForwardAndAttention, options.Scope);
        Assert.Equal("/models/ft", options.EffectiveBackbonePath);
    }

    [Fact]
    public void Resolve_ClassifierTaskWithoutTrainableProj_UsesLabelFileAndFrozenHead()
    {
        // Arrange
        var spec = Spec(JobKind.Mask);
        spec.Task = "speaker";
        spec.Mask = new MaskSpec { TrainableProj = false };

        // Act
        var options = JobOptions.Resolve(spec);

        // Assert
        Assert.False(options.IsCtc);
        Assert.Equal("label", options.LabelExtension);
        Assert.False(options.TrainableProj);
    }

    [Fact]
    public void Resolve_PretrainWithoutTask_AppliesPretrainDefaults()
    {
        // Arrange
        var spec = Spec(JobKind.Pretrain);
        spec.Task = "";

        // Act
        var options = JobOptions.Resolve(spec);

        // Assert
        Assert.Equal("pretrain", options.Task);
        Assert.Equal(JobOptions.DefaultPretrainLearningRate, options.LearningRate);
        Assert.Equal(JobOptions.DefaultPretrainSteps, options.MaxSteps);
    }

    [Theory]
    [InlineData(1.5, "")]
    [InlineData(0.5, "random")]
    public void Resolve_BadMaskSpec_ThrowsInvalidInput(double pruneRate, string init)
    {
        // Arrange
        var spec = Spec(JobKind.Mask);
        spec.Mask = new MaskSpec { PruneRate = pruneRate, InitScore = init };

        // Act + Assert
        Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));
    }

    [Theory]
    [InlineData(-0.1, 0, 0)]
    [InlineData(1.5, 0, 0)]
    [InlineData(0, -1, 0)]
    [InlineData(0, 0, double.NaN)]
    public void Resolve_BadPretrainOrWarmupValues_NamesTheField(double unmaskedWeight, long warmupSteps, double warmupLr)
    {
        // Arrange
        var spec = Spec(JobKind.Mask);
        spec.Pretrain = new PretrainSpec { UnmaskedLossWeight = unmaskedWeight };
        spec.Optimization = new OptimizationSpec { HeadWarmupSteps = warmupSteps, HeadWarmupLearningRate = warmupLr };

        // Act
        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        // Assert
        Assert.Single(error.Violations);
        Assert.Contains(error.Violations[0].Field, new[] { "pretrain.unmasked_loss_weight", "optimization.head_warmup_steps", "optimization.head_warmup_learning_rate" });
    }

    [Theory]
    [InlineData("/models/tiny-ssl", null, 0, "pretrain.targets_layer")]
    [InlineData("", 2, 0, "pretrain.targets_layer")]
    [InlineData("/models/tiny-ssl", -1, 0, "pretrain.targets_layer")]
    [InlineData("", null, 1, "pretrain.clusters")]
    [InlineData("", null, 10_001, "pretrain.clusters")]
    public void Resolve_BadTargetOptions_NamesTheField(string targetsBackbone, int? layer, int clusters, string field)
    {
        // Arrange
        var spec = Spec(JobKind.Pretrain);
        spec.Pretrain = new PretrainSpec { TargetsBackbonePath = targetsBackbone, Clusters = clusters };
        if (layer is { } l)
        {
            spec.Pretrain.TargetsLayer = l;
        }

        // Act
        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        // Assert
        Assert.Equal(field, Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Resolve_TargetsBackboneAndLayer_KeepsThemWithDefaultClusters()
    {
        // Arrange
        var spec = Spec(JobKind.Pretrain);
        spec.Pretrain = new PretrainSpec { TargetsBackbonePath = "/models/tiny-ssl", TargetsLayer = 0 };

        // Act
        var options = JobOptions.Resolve(spec);

        // Assert
        Assert.Equal(("/models/tiny-ssl", 0, JobOptions.DefaultPretrainClusters), (options.TargetsBackbonePath, options.TargetsLayer, options.Clusters));
    }

    [Fact]
    public void Resolve_HeadWarmupOnAHeadJob_IsIgnored()
    {
        // Arrange
        var spec = Spec(JobKind.Head);
        spec.Optimization = new OptimizationSpec { HeadWarmupSteps = 500 };

        // Act
        var options = JobOptions.Resolve(spec);

        // Assert
        Assert.Equal(0, options.HeadWarmupSteps);
        Assert.Equal(JobOptions.DefaultHeadWarmupLearningRate, options.HeadWarmupLearningRate);
    }

    [Fact]
    public void Resolve_StatsPoolingWithTokenDropping_InvalidInputNamingPooling()
    {
        // Arrange: token dropping removes frames between the conv features and the transformer, which stats pooling reads together.
        var spec = Spec(JobKind.Head);
        spec.Task = "speaker";
        spec.Head = new HeadSpec { Pooling = "stats" };
        spec.TokenDropping = new TokenDroppingSpec { SilenceDbfs = -50 };

        // Act
        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        // Assert
        Assert.Equal("head.pooling", Assert.Single(error.Violations).Field);
        Assert.Contains("token_dropping", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_StatsPooling_IsStats()
    {
        // Arrange
        var spec = Spec(JobKind.Head);
        spec.Task = "speaker";
        spec.Head = new HeadSpec { Pooling = "stats" };

        // Act
        var options = JobOptions.Resolve(spec);

        // Assert
        Assert.Equal(S3Router.TrainingService.Training.Heads.ClassifierPooling.Stats, options.Pooling);
    }

    [Fact]
    public void Resolve_ConvMaxPoolingWithoutSizes_Width256Kernel5NoDecay()
    {
        // Arrange
        var spec = Spec(JobKind.Head);
        spec.Task = "intent";
        spec.Head = new HeadSpec { Pooling = "conv_max" };

        // Act
        var options = JobOptions.Resolve(spec);

        // Assert
        Assert.Equal(S3Router.TrainingService.Training.Heads.ClassifierPooling.ConvMax, options.Pooling);
        Assert.Equal((256, 5, 0.0), (options.ConvWidth, options.ConvKernel, options.HeadWeightDecay));
        Assert.Equal(1, options.EnsembleSize);
        Assert.True(options.ReadsAllStates);
    }

    [Fact]
    public void Resolve_ConvMaxPoolingWithSizesAndDecay_TakesThem()
    {
        // Arrange
        var spec = Spec(JobKind.Head);
        spec.Task = "intent";
        spec.Head = new HeadSpec { Pooling = "conv_max", ConvWidth = 64, ConvKernel = 7, EnsembleSize = 5 };
        spec.Optimization = new OptimizationSpec { HeadWeightDecay = 0.01 };

        // Act
        var options = JobOptions.Resolve(spec);

        // Assert
        Assert.Equal((64, 7, 0.01, 5), (options.ConvWidth, options.ConvKernel, options.HeadWeightDecay, options.EnsembleSize));
    }

    [Theory]
    [InlineData(256, 4, "head.conv_kernel")]
    [InlineData(256, -3, "head.conv_kernel")]
    [InlineData(256, 65, "head.conv_kernel")]
    [InlineData(-1, 5, "head.conv_width")]
    [InlineData(5000, 5, "head.conv_width")]
    [InlineData(256, 5, "head.ensemble_size", -1)]
    [InlineData(256, 5, "head.ensemble_size", 17)]
    public void Resolve_ConvMaxBadWidthKernelOrEnsembleSize_InvalidInputNamingTheField(int width, int kernel, string field, int ensembleSize = 0)
    {
        // Arrange
        var spec = Spec(JobKind.Head);
        spec.Task = "intent";
        spec.Head = new HeadSpec { Pooling = "conv_max", ConvWidth = width, ConvKernel = kernel, EnsembleSize = ensembleSize };

        // Act
        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        // Assert
        Assert.Equal(field, Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Resolve_EnsembleSizeWithAttentivePooling_InvalidInputNamingEnsembleSize()
    {
        // Arrange
        var spec = Spec(JobKind.Head);
        spec.Task = "intent";
        spec.Head = new HeadSpec { Pooling = "attentive", EnsembleSize = 3 };

        // Act
        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        // Assert
        Assert.Equal("head.ensemble_size", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Resolve_ConvKernelWithStatsPooling_InvalidInputNamingConvKernel()
    {
        // Arrange
        var spec = Spec(JobKind.Head);
        spec.Task = "speaker";
        spec.Head = new HeadSpec { Pooling = "stats", ConvKernel = 5 };

        // Act
        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        // Assert
        Assert.Equal("head.conv_kernel", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Resolve_ConvMaxPoolingWithTokenDropping_InvalidInputNamingPooling()
    {
        // Arrange
        var spec = Spec(JobKind.Head);
        spec.Task = "intent";
        spec.Head = new HeadSpec { Pooling = "conv_max" };
        spec.TokenDropping = new TokenDroppingSpec { SilenceDbfs = -50 };

        // Act
        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        // Assert
        Assert.Equal("head.pooling", Assert.Single(error.Violations).Field);
        Assert.Contains("token_dropping", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("head_weight_decay", -0.1)]
    [InlineData("head_weight_decay", 1.0)]
    [InlineData("head_weight_decay", double.NaN)]
    [InlineData("adam_beta2", -0.5)]
    [InlineData("adam_beta2", 1.0)]
    [InlineData("adam_beta2", double.NaN)]
    [InlineData("time_mask_prob", -0.1)]
    [InlineData("time_mask_prob", 1.0)]
    [InlineData("time_mask_prob", double.NaN)]
    public void Resolve_OptimizationRateOutsideRange_InvalidInputNamingIt(string field, double value)
    {
        // Arrange
        var spec = Spec(JobKind.Weights);
        spec.Optimization = field switch
        {
            "adam_beta2" => new OptimizationSpec { AdamBeta2 = value },
            "time_mask_prob" => new OptimizationSpec { TimeMaskProb = value },
            _ => new OptimizationSpec { HeadWeightDecay = value },
        };

        // Act
        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        // Assert
        Assert.Equal("optimization." + field, Assert.Single(error.Violations).Field);
    }

    [Theory]
    [InlineData(0.0, 0.98)]
    [InlineData(0.999, 0.999)]
    public void Resolve_AdamBeta2_ZeroMeansTheWav2Vec2Default(double given, double resolved)
    {
        // Arrange
        var spec = Spec(JobKind.Head);
        spec.Optimization = new OptimizationSpec { AdamBeta2 = given };

        // Act
        var options = JobOptions.Resolve(spec);

        // Assert
        Assert.Equal(resolved, options.AdamBeta2);
    }

    [Theory]
    [InlineData(JobKind.Head)]
    [InlineData(JobKind.StructuredPrune)]
    [InlineData(JobKind.Pretrain)]
    public void Resolve_TimeMaskOnAJobWithoutBackboneSteps_InvalidInputNamingIt(JobKind kind)
    {
        // Arrange: these kinds train on cached features, or mask on their own (pretraining).
        var spec = Spec(kind);
        spec.Optimization = new OptimizationSpec { TimeMaskProb = 0.05 };

        // Act
        var error = Assert.Throws<InvalidInputException>(() => JobOptions.Resolve(spec));

        // Assert
        Assert.Equal("optimization.time_mask_prob", Assert.Single(error.Violations).Field);
    }

    [Theory]
    [InlineData(JobKind.Mask)]
    [InlineData(JobKind.Weights)]
    public void Resolve_TimeMaskOnABackboneStepJob_Kept(JobKind kind)
    {
        // Arrange
        var spec = Spec(kind);
        spec.Optimization = new OptimizationSpec { TimeMaskProb = 0.05 };

        // Act
        var options = JobOptions.Resolve(spec);

        // Assert
        Assert.Equal(0.05, options.TimeMaskProb);
    }

    private static JobSpec Spec(JobKind kind) => new()
    {
        Kind = kind,
        Task = "asr",
        BackbonePath = "/models/base",
        Dataset = new DatasetSpec { ManifestDir = "/data" },
    };
}
