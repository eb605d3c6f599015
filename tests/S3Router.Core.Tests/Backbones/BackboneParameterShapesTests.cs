using System.Diagnostics;
using System.Text.Json;
using S3Router.Core.Backbones;
using S3Router.Core.Errors;

namespace S3Router.Core.Tests.Backbones;

public sealed class BackboneParameterShapesTests
{
    private const string Python = "/usr/bin/python3";

    // Builds torchaudio's model for each HF config and prints its state dict renamed to HF names.
    private const string TorchaudioShapesScript = """
        import json, sys
        try:
            import torchaudio
        except ImportError:
            print("NO_TORCHAUDIO")
            sys.exit(3)
        result = []
        for cfg in json.loads(sys.argv[1]):
            model = torchaudio.models.wav2vec2_model(
                extractor_mode=cfg["feat_extract_norm"] + "_norm",
                extractor_conv_layer_config=list(zip(cfg["conv_dim"], cfg["conv_kernel"], cfg["conv_stride"])),
                extractor_conv_bias=cfg["conv_bias"],
                encoder_embed_dim=cfg["hidden_size"],
                encoder_projection_dropout=0.0,
                encoder_pos_conv_kernel=cfg["num_conv_pos_embeddings"],
                encoder_pos_conv_groups=cfg["num_conv_pos_embedding_groups"],
                encoder_num_layers=cfg["num_hidden_layers"],
                encoder_num_heads=cfg["num_attention_heads"],
                encoder_attention_dropout=0.0,
                encoder_ff_interm_features=cfg["intermediate_size"],
                encoder_ff_interm_dropout=0.0,
                encoder_dropout=0.0,
                encoder_layer_norm_first=cfg["do_stable_layer_norm"],
                encoder_layer_drop=0.0,
                aux_num_out=None)
            shapes = {}
            for name, tensor in model.state_dict().items():
                if name.startswith("encoder.feature_projection."):
                    name = name[len("encoder."):]
                elif name.startswith("encoder.transformer."):
                    name = "encoder." + name[len("encoder.transformer."):]
                shapes[name] = list(tensor.shape)
            result.append({"shapes": shapes, "count": sum(p.numel() for p in model.parameters())})
        print(json.dumps(result))
        """;

    [Fact]
    public void CountParameters_Base_IsHuggingFaceWav2Vec2ModelSize()
    {
        Assert.Equal(94_371_712, BackboneParameterShapes.CountParameters(Wav2Vec2Config.Base));
    }

    [Fact]
    public void CountParameters_BaseWithoutSpecAugment_LacksMaskedSpecEmbed()
    {
        var config = Wav2Vec2Config.Base with { MaskTimeProb = 0 };

        var shapes = BackboneParameterShapes.For(config);

        Assert.DoesNotContain(BackboneParameterShapes.MaskedSpecEmbed, shapes.Keys);
        Assert.Equal(94_370_944, BackboneParameterShapes.CountParameters(config));
    }

    [Fact]
    public void CountParameters_Tiny_IsTorchaudioCountPlusMaskedSpecEmbed()
    {
        Assert.Equal(3_718_976 + 256, BackboneParameterShapes.CountParameters(Wav2Vec2Config.Tiny));
    }

    [Fact]
    public void CountParameters_Large_IsLv60Size()
    {
        Assert.Equal(315_438_720, BackboneParameterShapes.CountParameters(Wav2Vec2Config.Large));
    }

    [Fact]
    public void For_Base_HasHuggingFaceNamesAndShapes()
    {
        var shapes = BackboneParameterShapes.For(Wav2Vec2Config.Base);

        Assert.Equal([512L, 1, 10], shapes["feature_extractor.conv_layers.0.conv.weight"]);
        Assert.Equal([512L], shapes["feature_extractor.conv_layers.0.layer_norm.weight"]);
        Assert.Equal([512L, 512, 2], shapes["feature_extractor.conv_layers.6.conv.weight"]);
        Assert.DoesNotContain("feature_extractor.conv_layers.1.layer_norm.weight", shapes.Keys);
        Assert.DoesNotContain("feature_extractor.conv_layers.0.conv.bias", shapes.Keys);
        Assert.Equal([512L], shapes["feature_projection.layer_norm.bias"]);
        Assert.Equal([768L, 512], shapes["feature_projection.projection.weight"]);
        Assert.Equal([768L], shapes["masked_spec_embed"]);
        Assert.Equal([1L, 1, 128], shapes["encoder.pos_conv_embed.conv.weight_g"]);
        Assert.Equal([768L, 48, 128], shapes["encoder.pos_conv_embed.conv.weight_v"]);
        Assert.Equal([768L], shapes["encoder.layer_norm.weight"]);
        Assert.Equal([768L, 768], shapes["encoder.layers.11.attention.q_proj.weight"]);
        Assert.Equal([3072L, 768], shapes["encoder.layers.0.feed_forward.intermediate_dense.weight"]);
        Assert.Equal([768L, 3072], shapes["encoder.layers.0.feed_forward.output_dense.weight"]);
        Assert.Equal([768L], shapes["encoder.layers.5.final_layer_norm.bias"]);
        Assert.DoesNotContain("encoder.layers.12.layer_norm.weight", shapes.Keys);
    }

    [Fact]
    public void For_LayerStyle_HasLayerNormAndBiasOnEveryConvLayer()
    {
        var shapes = BackboneParameterShapes.For(Wav2Vec2Config.Large);

        for (var i = 0; i < 7; i++)
        {
            Assert.Equal([512L], shapes[$"feature_extractor.conv_layers.{i}.layer_norm.weight"]);
            Assert.Equal([512L], shapes[$"feature_extractor.conv_layers.{i}.conv.bias"]);
        }
    }

    [Fact]
    public void For_HubertWithoutFeatProjLayerNorm_OmitsIt()
    {
        var config = Wav2Vec2Config.Base with { ModelType = "hubert", FeatProjLayerNorm = false };

        var shapes = BackboneParameterShapes.For(config);

        Assert.DoesNotContain("feature_projection.layer_norm.weight", shapes.Keys);
        Assert.Contains("feature_projection.projection.weight", shapes.Keys);
    }

    [Fact]
    public void For_Base_KeepsModuleOrder()
    {
        var names = BackboneParameterShapes.For(Wav2Vec2Config.Base).Keys.ToList();

        Assert.Equal("feature_extractor.conv_layers.0.conv.weight", names[0]);
        Assert.True(names.IndexOf("feature_projection.projection.bias") < names.IndexOf("encoder.pos_conv_embed.conv.bias"));
        Assert.True(names.IndexOf("encoder.layers.1.attention.k_proj.weight") < names.IndexOf("encoder.layers.2.attention.k_proj.weight"));
        Assert.Equal("encoder.layers.11.final_layer_norm.bias", names[^1]);
    }

    [Fact]
    public void For_InvalidConfig_Throws()
    {
        var config = Wav2Vec2Config.Base with { NumAttentionHeads = 5 };

        Assert.Throws<InvalidInputException>(() => BackboneParameterShapes.For(config));
    }

    [Fact]
    public void MaskableTensors_FeedForward_ListsFc1AndFc2OfEveryLayer()
    {
        var names = BackboneParameterShapes.MaskableTensors(Wav2Vec2Config.Base, MaskScope.FeedForward);

        Assert.Equal(24, names.Count);
        Assert.Equal("encoder.layers.0.feed_forward.intermediate_dense.weight", names[0]);
        Assert.Equal("encoder.layers.0.feed_forward.output_dense.weight", names[1]);
        Assert.All(names, n => Assert.Contains(".feed_forward.", n));
    }

    [Fact]
    public void MaskableTensors_WithAttention_AddsFourProjectionsPerLayer()
    {
        var names = BackboneParameterShapes.MaskableTensors(Wav2Vec2Config.Tiny, MaskScope.FeedForwardAndAttention);

        Assert.Equal(4 * 6, names.Count);
        Assert.Contains("encoder.layers.3.attention.out_proj.weight", names);
        Assert.DoesNotContain("feature_projection.projection.weight", names);
    }

    [Fact]
    public void MaskableTensors_AllLinear_AddsFeatureProjectionAndAllAreTwoDimensionalWeights()
    {
        var config = Wav2Vec2Config.Tiny;
        var shapes = BackboneParameterShapes.For(config);

        var names = BackboneParameterShapes.MaskableTensors(config, MaskScope.AllLinear);

        Assert.Equal(1 + (4 * 6), names.Count);
        Assert.Equal("feature_projection.projection.weight", names[0]);
        Assert.All(names, n => Assert.Equal(2, shapes[n].Length));
    }

    [Fact]
    public void MaskableTensors_UndefinedScope_Throws()
    {
        Assert.Throws<InvalidInputException>(() => BackboneParameterShapes.MaskableTensors(Wav2Vec2Config.Tiny, (MaskScope)42));
    }

    [Fact]
    public void CheckpointPrefix_ModelType_IsTaskModelAttributeName()
    {
        Assert.Equal("wav2vec2.", BackboneParameterShapes.CheckpointPrefix(Wav2Vec2Config.Base));
        Assert.Equal("hubert.", BackboneParameterShapes.CheckpointPrefix(Wav2Vec2Config.Base with { ModelType = "hubert" }));
    }

    [Fact]
    public async Task For_TinyVariants_MatchTorchaudioModelRenamedToHuggingFaceNames()
    {
        // Arrange
        var configs = new[]
        {
            Wav2Vec2Config.Tiny,
            Wav2Vec2Config.Tiny with { FeatExtractNorm = "layer", DoStableLayerNorm = true, ConvBias = true },
            Wav2Vec2Config.Tiny with { ConvDim = [64, 96, 128], ConvStride = [5, 4, 2], ConvKernel = [10, 4, 3], NumConvPosEmbeddings = 33, NumConvPosEmbeddingGroups = 8 },
        };
        var argument = "[" + string.Join(",", configs.Select(Wav2Vec2ConfigJson.Serialize)) + "]";

        // Act
        var output = await RunTorchaudioAsync(argument);

        // Assert
        using var doc = JsonDocument.Parse(output);
        var results = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(configs.Length, results.Count);
        for (var i = 0; i < configs.Length; i++)
        {
            var ours = BackboneParameterShapes.For(configs[i]).Where(p => p.Key != BackboneParameterShapes.MaskedSpecEmbed)
                .ToDictionary(p => p.Key, p => string.Join(",", p.Value));
            var theirs = results[i].GetProperty("shapes").EnumerateObject()
                .ToDictionary(p => p.Name, p => string.Join(",", p.Value.EnumerateArray().Select(d => d.GetInt64())));
            Assert.Equal(theirs.OrderBy(p => p.Key, StringComparer.Ordinal), ours.OrderBy(p => p.Key, StringComparer.Ordinal));
            Assert.Equal(
                results[i].GetProperty("count").GetInt64(),
                BackboneParameterShapes.CountParameters(configs[i]) - configs[i].HiddenSize);
        }
    }

    private static async Task<string> RunTorchaudioAsync(string argument)
    {
        if (!File.Exists(Python))
        {
            Assert.Skip($"{Python} is missing: install python3-torchaudio to compare with torchaudio.");
        }

        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(TorchaudioShapesScript);
        start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        if (process.ExitCode == 3 && (await stdout).Contains("NO_TORCHAUDIO", StringComparison.Ordinal))
        {
            Assert.Skip($"{Python} has no torchaudio: install python3-torchaudio to compare with torchaudio.");
        }

        Assert.True(process.ExitCode == 0, $"python failed: {await stderr}");
        return await stdout;
    }
}
