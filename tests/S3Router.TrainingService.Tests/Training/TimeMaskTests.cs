using S3Router.Testing;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training;

/// <summary>SpecAugment time masking of finetuning steps (training.proto <c>time_mask_prob</c>).</summary>
public sealed class TimeMaskTests
{
    [Fact]
    public void TimeMask_LongUtterances_CoversAboutTheFractionAndNoPadding()
    {
        // Arrange: 64,000 and 32,000 samples are 3,199 and 1,599 frames of the tiny config.
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);
        using var lengths = tensor(new long[] { 64_000, 32_000 });

        // Act
        using var mask = TrainingStep.TimeMask(model, lengths, paddedSamples: 64_000, prob: 0.2, seed: 7);

        // Assert: 2% starts × spans of 10 cover 1 - 0.98^10 ≈ 18% of the frames.
        var frames = (int)model.OutputFrames(64_000);
        Assert.Equal([2L, frames], mask.shape);
        var values = mask.data<bool>().ToArray();
        var valid = (int)model.OutputFrames(32_000);
        Assert.InRange(values.Take(frames).Count(m => m) / (double)frames, 0.12, 0.24);
        Assert.InRange(values.Skip(frames).Take(valid).Count(m => m) / (double)valid, 0.12, 0.24);
        Assert.DoesNotContain(true, values.Skip(frames + valid));
    }

    [Fact]
    public void TimeMask_SameSeed_SameMask()
    {
        // Arrange: a resumed job redraws the masks of its steps.
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);
        using var lengths = tensor(new long[] { 16_000 });

        // Act
        using var first = TrainingStep.TimeMask(model, lengths, 16_000, 0.3, seed: 11);
        using var again = TrainingStep.TimeMask(model, lengths, 16_000, 0.3, seed: 11);
        using var other = TrainingStep.TimeMask(model, lengths, 16_000, 0.3, seed: 12);

        // Assert
        Assert.Equal(first.data<bool>().ToArray(), again.data<bool>().ToArray());
        Assert.NotEqual(first.data<bool>().ToArray(), other.data<bool>().ToArray());
    }

    [Fact]
    public void ForwardMasked_AllStates_MaskedFramesChangeTheHiddenStatesNotTheConvFeatures()
    {
        // Arrange: eval mode, so only the mask differs between the runs.
        manual_seed(5);
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);
        model.eval();
        model.OutputsAllStates = true;
        using var waveforms = randn(1, 3200);
        var frames = model.OutputFrames(3200);
        using var none = zeros(1, frames, dtype: ScalarType.Bool);
        using var some = zeros(1, frames, dtype: ScalarType.Bool);
        some[0, TensorIndex.Slice(10, 20)] = tensor(true);
        var convWidth = TinyConfigs.Base.ConvDim[^1];

        // Act
        using var plain = model.call(waveforms, null).Hidden;
        using var unmasked = model.ForwardMasked(waveforms, null, none).Hidden;
        using var masked = model.ForwardMasked(waveforms, null, some).Hidden;

        // Assert
        Assert.Equal(plain.shape, masked.shape);
        Assert.True(plain.allclose(unmasked));
        using var plainConv = plain[.., .., ..convWidth];
        using var maskedConv = masked[.., .., ..convWidth];
        Assert.True(plainConv.allclose(maskedConv));
        using var plainStates = plain[.., 10..20, convWidth..];
        using var maskedStates = masked[.., 10..20, convWidth..];
        Assert.False(plainStates.allclose(maskedStates));
    }
}
