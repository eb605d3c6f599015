using S3Router.Core.Backbones;
using S3Router.Core.Errors;
using S3Router.Testing;
using S3Router.TrainingService.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Model;

public sealed class Wav2Vec2ModelTests
{
    [Theory]
    [InlineData("base")]
    [InlineData("stable")]
    public void Forward_PaddedBatch_ReturnsHiddenShapeAndValidFrameLengths(string style)
    {
        // Arrange
        manual_seed(1);
        using var model = Wav2Vec2Model.Create(TinyConfigs.ByStyle(style));
        model.eval();
        using var waveforms = randn(2, 1600);
        using var lengths = tensor(new long[] { 1600, 1000 });

        // Act
        var (hidden, frames) = model.call(waveforms, lengths);
        using var h = hidden;
        using var f = frames!;

        // Assert: 1600 -> 319 -> 159 -> 79 frames; 1000 -> 199 -> 99 -> 49.
        Assert.Equal([2L, 79L, 32L], hidden.shape);
        Assert.Equal([79L, 49L], f.data<long>().ToArray());
        Assert.Equal(79, model.OutputFrames(1600));
        Assert.Equal(49, model.OutputFrames(1000));
    }

    [Theory]
    [InlineData("base")]
    [InlineData("stable")]
    public void Forward_NoLengths_ReturnsNullLengths(string style)
    {
        // Arrange
        manual_seed(2);
        using var model = Wav2Vec2Model.Create(TinyConfigs.ByStyle(style));
        model.eval();
        using var waveforms = randn(1, 800);

        // Act
        var (hidden, frames) = model.call(waveforms, null);
        using var h = hidden;

        // Assert
        Assert.Null(frames);
        Assert.Equal([1L, model.OutputFrames(800), 32L], hidden.shape);
    }

    [Theory]
    [InlineData("base")]
    [InlineData("stable")]
    public void ExtractFeatures_BatchOfDifferentLengths_MatchesEachUtteranceAlone(string style)
    {
        // Arrange
        manual_seed(3);
        using var model = Wav2Vec2Model.Create(TinyConfigs.ByStyle(style));
        float[][] audio = [Signals.Noise(1700, 1), Signals.Noise(1100, 2), Signals.Noise(640, 3)];

        // Act
        var batched = model.ExtractFeatures(audio);
        var alone = audio.Select(model.ExtractFeatures).ToList();

        // Assert
        for (var i = 0; i < audio.Length; i++)
        {
            Assert.Equal(model.OutputFrames(audio[i].Length), batched[i].GetLength(0));
            Assert.True(Numerics.RelativeError(batched[i], alone[i]) < 1e-4, $"utterance {i} differs");
        }
    }

    [Theory]
    [InlineData("base")]
    [InlineData("stable")]
    public void ExtractLayerFeatures_LastLayer_MatchesExtractFeatures(string style)
    {
        // Arrange
        manual_seed(3);
        using var model = Wav2Vec2Model.Create(TinyConfigs.ByStyle(style));
        var audio = Signals.Noise(1700, 1);

        // Act
        var last = model.ExtractLayerFeatures(audio, model.Config.NumHiddenLayers);

        // Assert
        Assert.Equal(0, Numerics.RelativeError(last, model.ExtractFeatures(audio)));
    }

    [Theory]
    [InlineData("base")]
    [InlineData("stable")]
    public void ExtractFeatures_OutputsAllStates_ConcatenatesConvFeaturesThenEveryHiddenState(string style)
    {
        // Arrange: a padded batch, so the states must ignore the other utterance's extra frames.
        manual_seed(3);
        using var model = Wav2Vec2Model.Create(TinyConfigs.ByStyle(style));
        float[][] audio = [Signals.Noise(1700, 1), Signals.Noise(1100, 2)];
        var (conv, hidden, layers) = (model.Config.ConvDim[^1], (int)model.Config.HiddenSize, model.Config.NumHiddenLayers);

        // Act
        model.OutputsAllStates = true;
        var all = model.ExtractFeatures(audio);
        var width = model.OutputWidth;
        model.OutputsAllStates = false;

        // Assert
        Assert.Equal(conv + ((layers + 1) * hidden), width);
        Assert.Equal(width, all[0].GetLength(1));
        for (var i = 0; i < audio.Length; i++)
        {
            for (var layer = 0; layer <= layers; layer++)
            {
                var expected = model.ExtractLayerFeatures(audio[i], layer);
                var actual = Columns(all[i], conv + (layer * hidden), hidden);
                Assert.True(Numerics.RelativeError(actual, expected) < 1e-4, $"utterance {i}, state {layer} differs");
            }
        }
    }

    [Fact]
    public void ExtractLayerFeatures_BaseStyleLayer1_MatchesOneLayerModelWithTheSameWeights()
    {
        // Arrange: a 1-layer copy of the 2-layer model (base style has no norm after the layers, so its output is layer 1's).
        manual_seed(4);
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);
        using var oneLayer = Wav2Vec2Model.Create(TinyConfigs.Base with { NumHiddenLayers = 1 });
        oneLayer.LoadWeights(model.BackboneWeights()
            .Where(w => !w.Key.StartsWith("encoder.layers.1.", StringComparison.Ordinal))
            .ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal));
        var audio = Signals.Noise(1500, 2);

        // Act
        var layer1 = model.ExtractLayerFeatures(audio, 1);
        var layer0 = model.ExtractLayerFeatures(audio, 0);

        // Assert
        Assert.True(Numerics.RelativeError(layer1, oneLayer.ExtractFeatures(audio)) < 1e-6);
        Assert.Equal(layer1.GetLength(0), layer0.GetLength(0));
        Assert.True(Numerics.RelativeError(layer0, layer1) > 1e-2, "layer 0 is the transformer's input, not layer 1's output");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void ExtractLayerFeatures_LayerOutsideTheModel_InvalidInput(int layer)
    {
        // Arrange
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);

        // Act + Assert
        var error = Assert.Throws<InvalidInputException>(() => model.ExtractLayerFeatures(Signals.Noise(1500, 2), layer));
        Assert.Contains("0..2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StateDict_Keys_AreHuggingFaceNamesWithoutPrefix()
    {
        // Arrange
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);

        // Act
        var state = model.state_dict();

        // Assert
        string[] expected =
        [
            "masked_spec_embed",
            "feature_extractor.conv_layers.0.conv.weight",
            "feature_extractor.conv_layers.0.layer_norm.weight",
            "feature_extractor.conv_layers.0.layer_norm.bias",
            "feature_extractor.conv_layers.2.conv.weight",
            "feature_projection.layer_norm.weight",
            "feature_projection.projection.weight",
            "feature_projection.projection.bias",
            "encoder.pos_conv_embed.conv.weight_g",
            "encoder.pos_conv_embed.conv.weight_v",
            "encoder.pos_conv_embed.conv.bias",
            "encoder.layer_norm.weight",
            "encoder.layers.0.attention.q_proj.weight",
            "encoder.layers.0.attention.k_proj.bias",
            "encoder.layers.0.attention.v_proj.weight",
            "encoder.layers.0.attention.out_proj.weight",
            "encoder.layers.0.layer_norm.weight",
            "encoder.layers.1.feed_forward.intermediate_dense.weight",
            "encoder.layers.1.feed_forward.output_dense.bias",
            "encoder.layers.1.final_layer_norm.bias",
        ];
        Assert.All(expected, name => Assert.Contains(name, state.Keys));
        Assert.DoesNotContain("feature_extractor.conv_layers.1.layer_norm.weight", state.Keys);
        Assert.DoesNotContain("feature_extractor.conv_layers.0.conv.bias", state.Keys);
        Assert.Equal([1L, 1L, 16L], state["encoder.pos_conv_embed.conv.weight_g"].shape);
        Assert.Equal([32L, 8L, 16L], state["encoder.pos_conv_embed.conv.weight_v"].shape);
        // masked_spec_embed, 5 conv, 4 projection, 3 positional conv, 2 encoder norm, 16 per layer.
        Assert.Equal(1 + 5 + 4 + 3 + 2 + (2 * 16), model.BackboneWeights().Count);
    }

    [Theory]
    [InlineData("base", 0.05)]
    [InlineData("stable", 0.0)]
    public void BackboneWeights_AnyStyle_MatchCoreParameterShapes(string style, double maskTimeProb)
    {
        // Arrange
        var config = TinyConfigs.ByStyle(style) with { MaskTimeProb = maskTimeProb };
        using var model = Wav2Vec2Model.Create(config);

        // Act
        var weights = model.BackboneWeights();

        // Assert
        var expected = BackboneParameterShapes.For(config);
        Assert.Equal(expected.Keys.Order(), weights.Keys.Order());
        Assert.All(expected, e => Assert.Equal(e.Value, weights[e.Key].Shape));
    }

    [Fact]
    public void LoadWeights_SpecEmbedInFileButNotInConfig_IgnoresIt()
    {
        // Arrange
        using var source = Wav2Vec2Model.Create(TinyConfigs.Base);
        using var target = Wav2Vec2Model.Create(TinyConfigs.Base with { MaskTimeProb = 0 });

        // Act
        var report = target.LoadWeights(source.BackboneWeights());

        // Assert
        Assert.Equal(["masked_spec_embed"], report.IgnoredHeads);
    }

    [Fact]
    public void Create_BaseStyle_NormsStartAsIdentity()
    {
        // Arrange + Act
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);
        var weights = model.BackboneWeights();

        // Assert: PyTorch's init (ones / zeros); TorchSharp 0.107's GroupNorm alone leaves garbage.
        Assert.All(weights["feature_extractor.conv_layers.0.layer_norm.weight"].Data, v => Assert.Equal(1f, v));
        Assert.All(weights["feature_extractor.conv_layers.0.layer_norm.bias"].Data, v => Assert.Equal(0f, v));
        Assert.All(weights["encoder.layer_norm.weight"].Data, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void SaveHuggingFace_ThenLoadHuggingFace_ReproducesConfigAndOutputs()
    {
        // Arrange
        manual_seed(4);
        using var model = Wav2Vec2Model.Create(TinyConfigs.Stable);
        using var temp = new TempDirectory();
        var audio = Signals.Noise(900, 4);

        // Act
        model.SaveHuggingFace(temp.Path);
        using var loaded = Wav2Vec2Model.LoadHuggingFace(temp.Path);

        // Assert
        Assert.Equal(model.Config.ConvDim, loaded.Config.ConvDim);
        Assert.Equal(model.Config with { ConvDim = loaded.Config.ConvDim, ConvKernel = loaded.Config.ConvKernel, ConvStride = loaded.Config.ConvStride }, loaded.Config);
        Assert.Equal(0, Numerics.RelativeError(loaded.ExtractFeatures(audio), model.ExtractFeatures(audio)));
        var json = File.ReadAllText(Path.Combine(temp.Path, "config.json"));
        Assert.Contains("\"do_stable_layer_norm\": true", json);
        Assert.Contains("\"num_conv_pos_embedding_groups\": 4", json);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("wav2vec2.", false)]
    [InlineData("wav2vec2.", true)]
    [InlineData("hubert.", true)]
    public void LoadWeights_PrefixAndWeightNormNaming_LoadsSameFunction(string prefix, bool parametrizations)
    {
        // Arrange
        manual_seed(5);
        using var source = Wav2Vec2Model.Create(TinyConfigs.Base);
        manual_seed(6);
        using var target = Wav2Vec2Model.Create(TinyConfigs.Base);
        var tensors = source.BackboneWeights().ToDictionary(
            t => prefix + (parametrizations ? t.Key.Replace("conv.weight_g", "conv.parametrizations.weight.original0").Replace("conv.weight_v", "conv.parametrizations.weight.original1") : t.Key),
            t => t.Value);
        tensors.Remove(prefix + "masked_spec_embed");
        if (prefix.Length > 0)
        {
            tensors["lm_head.weight"] = new HostTensor(new float[4 * 32], [4, 32]);
        }

        var audio = Signals.Noise(1000, 5);

        // Act
        var report = target.LoadWeights(tensors);

        // Assert
        Assert.Equal(prefix, report.Prefix);
        Assert.Equal(prefix.Length > 0 ? ["lm_head.weight"] : [], report.IgnoredHeads);
        Assert.Equal(["masked_spec_embed"], report.KeptInitial);
        Assert.Equal(0, Numerics.RelativeError(target.ExtractFeatures(audio), source.ExtractFeatures(audio)));
    }

    [Fact]
    public void LoadWeights_MissingTensor_ThrowsNamingIt()
    {
        // Arrange
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);
        var tensors = model.BackboneWeights().ToDictionary(t => "wav2vec2." + t.Key, t => t.Value);
        tensors.Remove("wav2vec2.encoder.layers.1.attention.k_proj.weight");

        // Act
        var error = Assert.Throws<InvalidInputException>(() => model.LoadWeights(tensors));

        // Assert
        Assert.Contains("missing tensor 'wav2vec2.encoder.layers.1.attention.k_proj.weight'", error.Message);
        Assert.Equal("wav2vec2.encoder.layers.1.attention.k_proj.weight", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void LoadWeights_UnknownTensor_ThrowsNamingIt()
    {
        // Arrange
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);
        var tensors = model.BackboneWeights().ToDictionary(t => t.Key, t => t.Value);
        tensors["encoder.layers.7.attention.q_proj.weight"] = new HostTensor(new float[32 * 32], [32, 32]);

        // Act
        var error = Assert.Throws<InvalidInputException>(() => model.LoadWeights(tensors));

        // Assert
        Assert.Contains("unknown tensor 'encoder.layers.7.attention.q_proj.weight'", error.Message);
    }

    [Fact]
    public void LoadWeights_ShapeMismatch_ThrowsWithExpectedAndFoundShapes()
    {
        // Arrange
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);
        var tensors = model.BackboneWeights().ToDictionary(t => t.Key, t => t.Value);
        tensors["encoder.layers.0.feed_forward.intermediate_dense.weight"] = new HostTensor(new float[48 * 32], [48, 32]);

        // Act
        var error = Assert.Throws<InvalidInputException>(() => model.LoadWeights(tensors));

        // Assert
        Assert.Contains("'encoder.layers.0.feed_forward.intermediate_dense.weight' has shape [48, 32]; expected [64, 32]", error.Message);
    }

    [Fact]
    public void LoadWeights_Rejected_LeavesWeightsUnchanged()
    {
        // Arrange
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);
        var before = model.BackboneWeights();
        var tensors = before.ToDictionary(t => t.Key, t => new HostTensor(new float[t.Value.Data.Length], t.Value.Shape));
        tensors["encoder.unknown"] = new HostTensor([1f], [1]);

        // Act
        Assert.Throws<InvalidInputException>(() => model.LoadWeights(tensors));

        // Assert
        Assert.Equal(before["encoder.layers.0.attention.q_proj.weight"].Data, model.BackboneWeights()["encoder.layers.0.attention.q_proj.weight"].Data);
    }

    [Fact]
    public void LoadHuggingFace_CorruptSafetensors_ThrowsInvalidInput()
    {
        // Arrange
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);
        using var temp = new TempDirectory();
        model.SaveHuggingFace(temp.Path);
        File.WriteAllBytes(Path.Combine(temp.Path, "model.safetensors"), [200, 0, 0, 0, 0, 0, 0, 0, (byte)'{']);

        // Act + Assert
        Assert.ThrowsAny<InvalidInputException>(() => Wav2Vec2Model.LoadHuggingFace(temp.Path));
    }

    [Fact]
    public void Create_HeadsDoNotDivideHidden_ThrowsInvalidInputNamingField()
    {
        // Arrange
        var config = TinyConfigs.Base with { NumAttentionHeads = 5 };

        // Act
        var error = Assert.Throws<InvalidInputException>(() => Wav2Vec2Model.Create(config));

        // Assert
        Assert.Equal("num_attention_heads", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void ExtractFeatures_AudioShorterThanOneFrame_ThrowsInvalidInput()
    {
        // Arrange: one frame needs ((1 - 1) * 2 + 3 - 1) * 2 + 3 -> 7 frames at layer 0 -> (7 - 1) * 5 + 10 = 40 samples.
        using var model = Wav2Vec2Model.Create(TinyConfigs.Base);

        // Act + Assert
        Assert.Equal(1, model.OutputFrames(40));
        Assert.Equal(1, model.ExtractFeatures(new float[40]).GetLength(0));
        Assert.Throws<InvalidInputException>(() => model.ExtractFeatures(new float[39]));
    }

    private static float[,] Columns(float[,] source, int start, int count)
    {
        var result = new float[source.GetLength(0), count];
        for (var t = 0; t < source.GetLength(0); t++)
        {
            for (var c = 0; c < count; c++)
            {
                result[t, c] = source[t, start + c];
            }
        }

        return result;
    }
}
