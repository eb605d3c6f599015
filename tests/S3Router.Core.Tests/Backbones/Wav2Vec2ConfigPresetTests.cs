using S3Router.Core.Backbones;
using S3Router.Core.Errors;

namespace S3Router.Core.Tests.Backbones;

public sealed class Wav2Vec2ConfigPresetTests
{
    [Theory]
    [InlineData("tiny")]
    [InlineData("Base")]
    [InlineData(" LARGE ")]
    public void FromPreset_KnownNameAnyCase_ReturnsValidPreset(string name)
    {
        var config = Wav2Vec2Config.FromPreset(name);

        Assert.Empty(config.GetViolations());
        Assert.Same(config, Wav2Vec2Config.FromPreset(name.Trim().ToLowerInvariant()));
    }

    [Theory]
    [InlineData("medium")]
    [InlineData("")]
    public void FromPreset_UnknownName_ThrowsListingValidNames(string name)
    {
        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2Config.FromPreset(name));

        Assert.Equal("preset", Assert.Single(error.Violations).Field);
        Assert.Contains("tiny, base, large", error.Message);
    }

    [Fact]
    public void Base_EqualsHuggingFaceDefaults()
    {
        var config = Wav2Vec2Config.Base;

        Assert.Equal((768, 12, 12, 3072), (config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize));
        Assert.Equal(("group", false, false), (config.FeatExtractNorm, config.DoStableLayerNorm, config.ConvBias));
        Assert.Equal((128, 16), (config.NumConvPosEmbeddings, config.NumConvPosEmbeddingGroups));
    }

    [Fact]
    public void Tiny_KeepsTwentyMillisecondFramesAndSmallWidths()
    {
        var config = Wav2Vec2Config.Tiny;

        Assert.Equal(320, config.FrameHopSamples);
        Assert.Equal(Wav2Vec2Config.Base.ConvKernel, config.ConvKernel);
        Assert.Equal(7, config.NumFeatExtractLayers);
        Assert.Equal((256, 4, 4, 1024), (config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize));
        Assert.Equal("group", config.FeatExtractNorm);
        Assert.InRange(BackboneParameterShapes.CountParameters(config), 3_000_000, 6_000_000);
    }

    [Fact]
    public void Large_HasXlsR300mShape()
    {
        var config = Wav2Vec2Config.Large;

        Assert.Equal((1024, 24, 16, 4096), (config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize));
        Assert.Equal(("layer", true, true), (config.FeatExtractNorm, config.DoStableLayerNorm, config.ConvBias));
    }
}
