using S3Router.Core.Backbones;
using S3Router.Core.Errors;

namespace S3Router.Core.Tests.Backbones;

public sealed class Wav2Vec2ConfigJsonTests
{
    [Fact]
    public void Parse_Wav2Vec2BaseConfig_ReadsGroupNormPostLnShape()
    {
        var config = Wav2Vec2ConfigJson.Parse(HfConfigSamples.Wav2Vec2Base);

        Assert.Equal("wav2vec2", config.ModelType);
        Assert.Equal(768, config.HiddenSize);
        Assert.Equal(12, config.NumHiddenLayers);
        Assert.Equal(12, config.NumAttentionHeads);
        Assert.Equal(3072, config.IntermediateSize);
        Assert.Equal("group", config.FeatExtractNorm);
        Assert.False(config.DoStableLayerNorm);
        Assert.False(config.ConvBias);
        Assert.True(config.FeatProjLayerNorm);
        Assert.Equal([512, 512, 512, 512, 512, 512, 512], config.ConvDim);
        Assert.Equal([10, 3, 3, 3, 3, 2, 2], config.ConvKernel);
        Assert.Equal(320, config.FrameHopSamples);
        Assert.Equal(0.05, config.Layerdrop);
        Assert.Equal(0.1, config.FeatProjDropout);
        Assert.Equal(0.0, config.ActivationDropout);
        Assert.Equal(1e-5, config.LayerNormEps);
    }

    [Fact]
    public void Parse_XlsR300mConfig_ReadsStableLayerNormShape()
    {
        var config = Wav2Vec2ConfigJson.Parse(HfConfigSamples.XlsR300m);

        Assert.Equal(1024, config.HiddenSize);
        Assert.Equal(24, config.NumHiddenLayers);
        Assert.Equal(16, config.NumAttentionHeads);
        Assert.Equal(4096, config.IntermediateSize);
        Assert.Equal("layer", config.FeatExtractNorm);
        Assert.True(config.DoStableLayerNorm);
        Assert.True(config.ConvBias);
        Assert.Equal(0.075, config.MaskTimeProb);
    }

    [Fact]
    public void Parse_XlsR300mConfig_HasTheLargePresetArchitecture()
    {
        var config = Wav2Vec2ConfigJson.Parse(HfConfigSamples.XlsR300m);

        Assert.Equal(BackboneParameterShapes.For(Wav2Vec2Config.Large).Keys, BackboneParameterShapes.For(config).Keys);
    }

    [Fact]
    public void Parse_HubertBaseConfig_ReadsHubertWithFeatureProjectionLayerNorm()
    {
        var config = Wav2Vec2ConfigJson.Parse(HfConfigSamples.HubertBaseLs960);

        Assert.Equal("hubert", config.ModelType);
        Assert.Equal(768, config.HiddenSize);
        Assert.Equal("group", config.FeatExtractNorm);
        Assert.False(config.DoStableLayerNorm);
        Assert.True(config.FeatProjLayerNorm);
        Assert.Equal(0.1, config.ActivationDropout);
    }

    [Fact]
    public void Parse_HubertLargeConfig_ReadsLayerNormStableWithoutConvBias()
    {
        var config = Wav2Vec2ConfigJson.Parse(HfConfigSamples.HubertLargeLl60k);

        Assert.Equal("hubert", config.ModelType);
        Assert.Equal(1024, config.HiddenSize);
        Assert.Equal(24, config.NumHiddenLayers);
        Assert.Equal(16, config.NumAttentionHeads);
        Assert.Equal("layer", config.FeatExtractNorm);
        Assert.True(config.DoStableLayerNorm);
        Assert.False(config.ConvBias);
    }

    [Fact]
    public void Parse_HubertWithoutFeatProjLayerNorm_KeepsTheSwitch()
    {
        var json = """{"model_type": "hubert", "feat_proj_layer_norm": false}""";

        var config = Wav2Vec2ConfigJson.Parse(json);

        Assert.False(config.FeatProjLayerNorm);
    }

    [Fact]
    public void Parse_Wav2Vec2WithFeatProjLayerNormFalse_IgnoresItLikeHuggingFace()
    {
        var json = """{"model_type": "wav2vec2", "feat_proj_layer_norm": false}""";

        var config = Wav2Vec2ConfigJson.Parse(json);

        Assert.True(config.FeatProjLayerNorm);
    }

    [Fact]
    public void Parse_EmptyObject_TakesHuggingFaceDefaults()
    {
        var config = Wav2Vec2ConfigJson.Parse("{}");

        Assert.Equivalent(Wav2Vec2Config.Base, config, strict: true);
    }

    [Theory]
    [InlineData("wav2vec2-conformer")]
    [InlineData("data2vec-audio")]
    [InlineData("wavlm")]
    public void Parse_OtherModelType_ThrowsNamingModelType(string modelType)
    {
        var json = $$"""{"model_type": "{{modelType}}", "hidden_size": 768}""";

        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2ConfigJson.Parse(json));

        Assert.Equal("model_type", Assert.Single(error.Violations).Field);
        Assert.Contains(modelType, error.Message);
    }

    [Theory]
    [InlineData("""{"add_adapter": true}""", "add_adapter")]
    [InlineData("""{"adapter_attn_dim": 16}""", "adapter_attn_dim")]
    [InlineData("""{"model_type": "hubert", "conv_pos_batch_norm": true}""", "conv_pos_batch_norm")]
    public void Parse_UnsupportedFeature_ThrowsNamingIt(string json, string field)
    {
        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2ConfigJson.Parse(json));

        Assert.Contains(error.Violations, v => v.Field == field);
    }

    [Fact]
    public void Parse_SyntaxError_ThrowsNamingFileAndPosition()
    {
        var json = "{\n  \"hidden_size\": 768,\n  \"num_hidden_layers\": 12 oops\n}";

        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2ConfigJson.Parse(json, "backbones/x/config.json"));

        Assert.Contains("backbones/x/config.json", error.Message);
        Assert.Contains("line 3", error.Message);
        Assert.Equal("backbones/x/config.json", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Parse_WrongValueType_ThrowsNamingField()
    {
        var json = """{"hidden_size": "768"}""";

        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2ConfigJson.Parse(json));

        Assert.Equal("hidden_size", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Parse_WrongArrayElementType_ThrowsNamingElement()
    {
        var json = """{"conv_dim": [512, 512.5, 512, 512, 512, 512, 512]}""";

        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2ConfigJson.Parse(json));

        Assert.StartsWith("conv_dim", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void Parse_RootIsArray_Throws()
    {
        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2ConfigJson.Parse("[1, 2]"));

        Assert.Contains("JSON object", error.Message);
    }

    [Fact]
    public void Parse_SeveralBadFields_ListsEveryViolation()
    {
        var json = """{"hidden_size": 100, "num_attention_heads": 12, "feat_extract_norm": "batch", "hidden_dropout": 1.5}""";

        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2ConfigJson.Parse(json));

        var fields = error.Violations.Select(v => v.Field).ToHashSet();
        Assert.Superset(new HashSet<string> { "num_attention_heads", "num_conv_pos_embedding_groups", "feat_extract_norm", "hidden_dropout" }, fields);
    }

    public static TheoryData<string> Presets => new(Wav2Vec2Config.PresetNames);

    [Theory]
    [MemberData(nameof(Presets))]
    public void Serialize_Preset_ParsesBackToTheSameConfig(string preset)
    {
        var config = Wav2Vec2Config.FromPreset(preset);

        var parsed = Wav2Vec2ConfigJson.Parse(Wav2Vec2ConfigJson.Serialize(config));

        Assert.Equivalent(config, parsed, strict: true);
    }

    [Fact]
    public void Serialize_CustomHubert_RoundTripsEveryField()
    {
        var config = new Wav2Vec2Config
        {
            ModelType = "hubert",
            HiddenSize = 96,
            NumHiddenLayers = 3,
            NumAttentionHeads = 6,
            IntermediateSize = 200,
            HiddenAct = "gelu_new",
            LayerNormEps = 1e-6,
            FeatExtractNorm = "layer",
            FeatExtractActivation = "relu",
            ConvDim = [32, 48],
            ConvStride = [4, 3],
            ConvKernel = [8, 3],
            ConvBias = true,
            NumConvPosEmbeddings = 17,
            NumConvPosEmbeddingGroups = 4,
            DoStableLayerNorm = true,
            FeatProjLayerNorm = false,
            HiddenDropout = 0.2,
            AttentionDropout = 0.3,
            ActivationDropout = 0.4,
            FeatProjDropout = 0.5,
            Layerdrop = 0.6,
            VocabSize = 77,
            MaskTimeProb = 0,
            MaskFeatureProb = 0.25,
        };

        var parsed = Wav2Vec2ConfigJson.Parse(Wav2Vec2ConfigJson.Serialize(config));

        Assert.Equivalent(config, parsed, strict: true);
    }

    [Theory]
    [InlineData("wav2vec2", "Wav2Vec2Model")]
    [InlineData("hubert", "HubertModel")]
    public void Serialize_Config_WritesHuggingFaceLayout(string modelType, string architecture)
    {
        var config = Wav2Vec2Config.Base with { ModelType = modelType };

        using var doc = System.Text.Json.JsonDocument.Parse(Wav2Vec2ConfigJson.Serialize(config));

        var root = doc.RootElement;
        Assert.Equal(modelType, root.GetProperty("model_type").GetString());
        Assert.Equal(architecture, Assert.Single(root.GetProperty("architectures").EnumerateArray()).GetString());
        Assert.Equal(7, root.GetProperty("num_feat_extract_layers").GetInt32());
        Assert.Equal(768, root.GetProperty("hidden_size").GetInt32());
        Assert.Equal(16, root.GetProperty("num_conv_pos_embedding_groups").GetInt32());
        Assert.Equal(modelType == "hubert", root.TryGetProperty("feat_proj_layer_norm", out _));
    }

    [Fact]
    public void Serialize_InvalidConfig_Throws()
    {
        var config = Wav2Vec2Config.Base with { HiddenSize = 0 };

        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2ConfigJson.Serialize(config));

        Assert.Contains(error.Violations, v => v.Field == "hidden_size");
    }

    [Fact]
    public async Task SaveAsync_ThenLoadAsyncFromDirectory_RoundTrips()
    {
        var dir = Directory.CreateTempSubdirectory("s3r-config-");
        try
        {
            await Wav2Vec2ConfigJson.SaveAsync(Wav2Vec2Config.Tiny, dir.FullName, TestContext.Current.CancellationToken);

            var loaded = await Wav2Vec2ConfigJson.LoadAsync(dir.FullName, TestContext.Current.CancellationToken);

            Assert.True(File.Exists(Path.Combine(dir.FullName, "config.json")));
            Assert.Equivalent(Wav2Vec2Config.Tiny, loaded, strict: true);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task LoadAsync_MissingFile_ThrowsNotFound()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}", "config.json");

        await Assert.ThrowsAsync<NotFoundException>(
            () => Wav2Vec2ConfigJson.LoadAsync(path, TestContext.Current.CancellationToken));
    }
}
