using S3Router.Core.Backbones;
using S3Router.Core.Errors;

namespace S3Router.Core.Tests.Backbones;

public sealed class Wav2Vec2ConfigValidationTests
{
    public static TheoryData<string, string> BadFields => new()
    {
        { """{"model_type": "hubert", "hidden_size": 0}""", "hidden_size" },
        { """{"hidden_size": -768}""", "hidden_size" },
        { """{"hidden_size": 100000}""", "hidden_size" },
        { """{"num_hidden_layers": 0}""", "num_hidden_layers" },
        { """{"num_attention_heads": 0}""", "num_attention_heads" },
        { """{"num_attention_heads": 7}""", "num_attention_heads" },
        { """{"intermediate_size": 0}""", "intermediate_size" },
        { """{"num_conv_pos_embeddings": 0}""", "num_conv_pos_embeddings" },
        { """{"num_conv_pos_embedding_groups": 0}""", "num_conv_pos_embedding_groups" },
        { """{"num_conv_pos_embedding_groups": 10}""", "num_conv_pos_embedding_groups" },
        { """{"vocab_size": 0}""", "vocab_size" },
        { """{"conv_dim": [], "conv_stride": [], "conv_kernel": []}""", "conv_dim" },
        { """{"conv_dim": [512, 512]}""", "conv_dim" },
        { """{"conv_stride": [5, 2, 2, 2, 2, 2]}""", "conv_dim" },
        { """{"conv_kernel": [10, 3, 3, 3, 3, 2, 2, 2]}""", "conv_dim" },
        { """{"conv_dim": [512, 0, 512, 512, 512, 512, 512]}""", "conv_dim[1]" },
        { """{"conv_stride": [5, 2, 2, -2, 2, 2, 2]}""", "conv_stride[3]" },
        { """{"conv_kernel": [10, 3, 3, 3, 3, 2, 0]}""", "conv_kernel[6]" },
        { """{"conv_stride": [4096, 4096, 2, 2, 2, 2, 2]}""", "conv_stride" },
        { """{"feat_extract_norm": "batch"}""", "feat_extract_norm" },
        { """{"feat_extract_norm": "Group"}""", "feat_extract_norm" },
        { """{"hidden_act": "prelu"}""", "hidden_act" },
        { """{"feat_extract_activation": "GELU"}""", "feat_extract_activation" },
        { """{"hidden_dropout": 1.0}""", "hidden_dropout" },
        { """{"attention_dropout": -0.1}""", "attention_dropout" },
        { """{"activation_dropout": 1.5}""", "activation_dropout" },
        { """{"feat_proj_dropout": 1.0}""", "feat_proj_dropout" },
        { """{"layerdrop": 1.0}""", "layerdrop" },
        { """{"mask_time_prob": 1.01}""", "mask_time_prob" },
        { """{"mask_feature_prob": -0.5}""", "mask_feature_prob" },
        { """{"layer_norm_eps": 0}""", "layer_norm_eps" },
        { """{"layer_norm_eps": -1e-5}""", "layer_norm_eps" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public void Parse_RuleBroken_ThrowsNamingTheField(string json, string field)
    {
        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2ConfigJson.Parse(json));

        Assert.Contains(error.Violations, v => v.Field == field);
        Assert.Contains(field.Split('[')[0], error.Message);
    }

    [Fact]
    public void Validate_Wav2Vec2WithoutFeatProjLayerNorm_ThrowsNamingField()
    {
        var config = Wav2Vec2Config.Base with { FeatProjLayerNorm = false };

        var error = Assert.Throws<InvalidInputException>(() => config.Validate());

        Assert.Equal("feat_proj_layer_norm", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Validate_HubertWithoutFeatProjLayerNorm_IsValid()
    {
        var config = Wav2Vec2Config.Base with { ModelType = "hubert", FeatProjLayerNorm = false };

        Assert.Empty(config.GetViolations());
    }

    [Fact]
    public void Validate_NaNLayerNormEps_ThrowsNamingField()
    {
        var config = Wav2Vec2Config.Base with { LayerNormEps = double.NaN };

        var error = Assert.Throws<InvalidInputException>(() => config.Validate());

        Assert.Equal("layer_norm_eps", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Validate_UnknownModelType_ThrowsNamingField()
    {
        var config = Wav2Vec2Config.Base with { ModelType = "wav2vec2-conformer" };

        var error = Assert.Throws<InvalidInputException>(() => config.Validate());

        Assert.Equal("model_type", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Validate_ManyBadFields_CollectsAllInOneException()
    {
        var config = Wav2Vec2Config.Base with
        {
            HiddenSize = 0,
            NumHiddenLayers = -1,
            FeatExtractNorm = "none",
            HiddenAct = "nope",
            Layerdrop = 2,
            ConvKernel = [10, 3],
        };

        var error = Assert.Throws<InvalidInputException>(() => config.Validate());

        Assert.Equal(
            ["hidden_size", "num_hidden_layers", "conv_dim", "feat_extract_norm", "hidden_act", "layerdrop"],
            error.Violations.Select(v => v.Field).ToArray());
    }

    [Theory]
    [InlineData("group", false)]
    [InlineData("group", true)]
    [InlineData("layer", false)]
    [InlineData("layer", true)]
    public void Validate_AnyNormAndStableCombination_IsValid(string norm, bool stable)
    {
        var config = Wav2Vec2Config.Base with { FeatExtractNorm = norm, DoStableLayerNorm = stable };

        Assert.Empty(config.GetViolations());
    }

    [Theory]
    [InlineData("gelu", BackboneActivation.Gelu)]
    [InlineData("gelu_new", BackboneActivation.GeluTanh)]
    [InlineData("gelu_pytorch_tanh", BackboneActivation.GeluTanh)]
    [InlineData("relu", BackboneActivation.Relu)]
    [InlineData("swish", BackboneActivation.Silu)]
    public void Resolve_SupportedName_ReturnsFunction(string name, BackboneActivation expected)
    {
        Assert.Equal(expected, BackboneActivations.Resolve(name));
        Assert.Empty((Wav2Vec2Config.Base with { HiddenAct = name }).GetViolations());
    }

    [Fact]
    public void Resolve_UnknownName_ThrowsListingSupportedNames()
    {
        var error = Assert.Throws<InvalidInputException>(() => BackboneActivations.Resolve("mish", "hidden_act"));

        Assert.Equal("hidden_act", Assert.Single(error.Violations).Field);
        Assert.Contains("gelu_new", error.Message);
    }
}
