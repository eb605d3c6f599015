using S3Router.Core.Backbones;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Testing;
using S3Router.TrainingService.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Model;

public sealed class MaskedLinearTests
{
    [Theory]
    [InlineData(MaskScope.FeedForward, 4)]
    [InlineData(MaskScope.FeedForwardAndAttention, 12)]
    [InlineData(MaskScope.AllLinear, 13)]
    public void Create_MaskScope_MasksExactlyTheCoreMaskableTensors(MaskScope scope, int expectedCount)
    {
        // Arrange + Act
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base, new MaskingOptions { Scope = scope });

        // Assert
        Assert.Equal(expectedCount, model.MaskedWeightNames.Count);
        Assert.Equal(BackboneParameterShapes.MaskableTensors(TinyConfigs.Base, scope).Order(), model.MaskedWeightNames.Order());
        Assert.True(model.state_dict().ContainsKey("encoder.layers.0.feed_forward.intermediate_dense.scores"));
        Assert.DoesNotContain(model.BackboneWeights().Keys, name => name.EndsWith(".scores", StringComparison.Ordinal) || name.EndsWith(".mask", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ScoreInit.KaimingUniform, 0.9)]
    [InlineData(ScoreInit.WeightRank, 0.9)]
    [InlineData(ScoreInit.WeightMagnitude, 0.3)]
    [InlineData(ScoreInit.WeightMagnitudeWithScale, 0.3)]
    public void ExportMasks_AnyScoreInit_KeepsRequestedCountPerTensor(ScoreInit init, double pruneRate)
    {
        // Arrange
        manual_seed(11);
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base, new MaskingOptions { PruneRate = pruneRate, Scope = MaskScope.FeedForwardAndAttention });
        model.InitializeScores(init, scale: 0.5);

        // Act
        var masks = model.ExportMasks();

        // Assert
        Assert.Equal(12, masks.Count);
        foreach (var mask in masks)
        {
            var expected = (long)Math.Round(pruneRate * mask.ElementCount, MidpointRounding.AwayFromZero);
            Assert.True(expected == mask.KeptCount, $"{mask.Name} keeps {mask.KeptCount} of {mask.ElementCount}; expected {expected}");
            Assert.Equal(mask.Unpack().LongCount(k => k), mask.KeptCount);
        }
    }

    [Theory]
    [InlineData(ScoreInit.WeightRank)]
    [InlineData(ScoreInit.WeightMagnitude)]
    public void InitializeScores_WeightBased_MaskKeepsLargestWeights(ScoreInit init)
    {
        // Arrange
        manual_seed(12);
        using var layer = new MaskedLinear("fc", 24, 16, pruneRate: 0.25);

        // Act
        layer.InitializeScores(init);
        var keep = layer.ExportMask();

        // Assert: every kept |W| is at least every dropped |W|.
        var magnitudes = layer.Weight.abs().data<float>().ToArray();
        var minKept = magnitudes.Where((_, i) => keep[i]).Min();
        var maxDropped = magnitudes.Where((_, i) => !keep[i]).Max();
        Assert.True(minKept >= maxDropped);
        Assert.Equal(96, keep.Count(k => k));
    }

    [Fact]
    public void InitializeScores_WeightMagnitudeWithScale_SetsScoresToWeightOverScale()
    {
        // Arrange
        manual_seed(13);
        using var layer = new MaskedLinear("fc", 8, 4, pruneRate: 0.5);

        // Act
        layer.InitializeScores(ScoreInit.WeightMagnitudeWithScale, scale: 0.25);

        // Assert
        Assert.True(layer.Scores.allclose(layer.Weight * 4.0));
    }

    [Fact]
    public void Forward_TrainingAndEval_UseExactlyTheHardMask()
    {
        // Arrange
        manual_seed(14);
        using var layer = new MaskedLinear("fc", 16, 8, pruneRate: 0.6);
        using var x = randn(3, 16);
        using var hard = tensor(layer.ExportMask().Select(k => k ? 1f : 0f).ToArray(), [8, 16]);
        using var expected = nn.functional.linear(x, layer.Weight * hard, layer.Bias);

        // Act
        layer.train();
        using var trainingOutput = layer.call(x);
        layer.eval();
        using var evalOutput = layer.call(x);

        // Assert
        Assert.Equal(0f, (trainingOutput - expected).abs().max().item<float>());
        Assert.Equal(0f, (evalOutput - expected).abs().max().item<float>());
    }

    [Fact]
    public void Backward_TrainingStep_GradientsReachScoresAndNotFrozenWeights()
    {
        // Arrange
        manual_seed(15);
        using var model = Wav2Vec2Model.Create(TinyConfigs.Stable with { Layerdrop = 0 }, new MaskingOptions { PruneRate = 0.5, Scope = MaskScope.AllLinear });
        model.InitializeScores(ScoreInit.WeightRank);
        model.FreezeBackbone();
        model.train();
        using var waveforms = randn(2, 900);
        using var lengths = tensor(new long[] { 900, 700 });

        // Act
        using (var scope = NewDisposeScope())
        {
            var (hidden, _) = model.call(waveforms, lengths);
            hidden.square().mean().backward();
        }

        // Assert
        foreach (var (name, layer) in model.MaskedLayers())
        {
            Assert.NotNull(layer.Scores.grad);
            Assert.True(layer.Scores.grad!.abs().sum().item<float>() > 0, $"{name}.scores got no gradient");
            Assert.Null(layer.Weight.grad);
        }

        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.All(trainable, name => Assert.EndsWith(".scores", name));
        Assert.Equal(13, trainable.Count);
    }

    [Fact]
    public void ImportMasks_GivenMasks_ExportedAndUsedInForward()
    {
        // Arrange
        manual_seed(16);
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base, new MaskingOptions());
        model.eval();
        var audio = Signals.Noise(800, 16);
        var before = model.ExtractFeatures(audio); // caches the initial masks
        var random = new Random(16);
        var masks = model.ExportMasks()
            .Select(m => MaskTensor.FromBits(m.Name, m.Shape, Enumerable.Range(0, (int)m.ElementCount).Select(_ => random.NextDouble() < 0.7).ToArray()))
            .ToList();

        // Act
        model.ImportMasks(masks);
        var exported = model.ExportMasks().ToDictionary(m => m.Name);
        var after = model.ExtractFeatures(audio);

        // Assert
        Assert.All(masks, m => Assert.Equal(m.Packed.ToArray(), exported[m.Name].Packed.ToArray()));
        Assert.True(Numerics.RelativeError(after, before) > 1e-3, "the imported masks did not change the output");
    }

    [Fact]
    public void ImportMasks_UnknownNameOrWrongSize_ThrowsNamingTensor()
    {
        // Arrange
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base, new MaskingOptions());
        var masks = new Dictionary<string, bool[]>
        {
            ["encoder.layers.0.attention.q_proj.weight"] = new bool[32 * 32],
            ["encoder.layers.0.feed_forward.output_dense.weight"] = new bool[3],
        };

        // Act
        var error = Assert.Throws<InvalidInputException>(() => model.ImportMasks(masks));

        // Assert
        Assert.Equal(["encoder.layers.0.attention.q_proj.weight", "encoder.layers.0.feed_forward.output_dense.weight"], error.Violations.Select(v => v.Field));
    }

    [Fact]
    public void Create_PruneRateOutOfRange_ThrowsInvalidInput()
    {
        // Act
        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2Model.Create(TinyConfigs.Base, new MaskingOptions { PruneRate = 1.5 }));

        // Assert
        Assert.Equal("prune_rate", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void LoadWeights_MaskedModel_LoadsPlainCheckpointAndKeepsScores()
    {
        // Arrange
        manual_seed(17);
        using var plain = Wav2Vec2Model.Create(TinyConfigs.Base);
        using var masked = Wav2Vec2Model.Create(TinyConfigs.Base, new MaskingOptions { PruneRate = 1.0 });
        var audio = Signals.Noise(700, 17);

        // Act
        masked.LoadWeights(plain.BackboneWeights());

        // Assert: keeping everything, the masked model computes the plain one's function.
        Assert.True(Numerics.RelativeError(masked.ExtractFeatures(audio), plain.ExtractFeatures(audio)) < 1e-6);
    }
}
