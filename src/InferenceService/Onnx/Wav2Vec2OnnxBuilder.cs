using S3Router.Core.Backbones;
using S3Router.InferenceService.Onnx.Proto;
using static S3Router.InferenceService.Onnx.OnnxGraph;
using DataType = S3Router.InferenceService.Onnx.Proto.TensorProto.Types.DataType;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// Emits the wav2vec2 backbone as an ONNX model (IR 8, opset 17) from a config and Hugging Face-named weights.
/// Initializer names are the parameter names (without the <c>wav2vec2.</c> prefix); the positional conv's weight norm
/// is folded at build time into <c>encoder.pos_conv_embed.conv.weight</c>.
/// Inputs: <c>waveforms</c> float [batch, samples] (zero-padded), <c>lengths</c> int64 [batch] (valid samples).
/// Outputs: <c>last_hidden_state</c> float [batch, frames, hidden], <c>output_lengths</c> int64 [batch].
/// Padding follows Hugging Face Wav2Vec2 with an attention mask: padded frames are zeroed before the positional conv
/// and get a large negative additive bias as attention keys. One deliberate difference: the base style's GroupNorm
/// (first conv layer) normalises over the valid samples only, so a padded utterance gives the same valid frames as
/// the utterance alone (HF and torchaudio normalise over the padding too; for unpadded input both agree).
/// Reference: torchaudio models/wav2vec2/components.py.
/// </summary>
public sealed partial class Wav2Vec2OnnxBuilder
{
    /// <summary>Graph input: float [batch, samples], 16 kHz audio right-padded with zeros.</summary>
    public const string WaveformsInput = "waveforms";

    /// <summary>Graph input: int64 [batch], valid samples of each row.</summary>
    public const string LengthsInput = "lengths";

    /// <summary>Graph output: float [batch, frames, hidden], the last hidden state (frames past a row's length are padding).</summary>
    public const string HiddenStateOutput = "last_hidden_state";

    /// <summary>Graph output: int64 [batch], valid frames of each row.</summary>
    public const string OutputLengthsOutput = "output_lengths";

    /// <summary>
    /// Graph output of a token-dropping graph only: int64 [batch, frames], the original frontend frame of each output
    /// frame (entries past a row's length are padding).
    /// </summary>
    public const string FrameIndexOutput = "frame_index";

    /// <summary>
    /// Graph output of the frontend graph, and of the whole graph built with <see cref="OnnxBuildOptions.HiddenStates"/>:
    /// float [batch, frames, conv_dim[-1]], the conv feature extractor's output (last conv layer after its activation,
    /// before the feature projection's LayerNorm). Frames past a row's length are padding.
    /// </summary>
    public const string ConvFeaturesOutput = "conv_features";

    /// <summary>
    /// Graph output of the encoder graph and the whole graph built with <see cref="OnnxBuildOptions.HiddenStates"/>:
    /// float [batch, frames, layers · hidden], the outputs of transformer layers 1..L side by side (layer i at columns
    /// [(i-1)·hidden, i·hidden); the last one equals <see cref="HiddenStateOutput"/>, so stable style after the final
    /// LayerNorm, as Hugging Face's <c>hidden_states</c>). Frames past a row's length are padding.
    /// </summary>
    public const string EncoderStatesOutput = "encoder_states";

    // torch GroupNorm / LayerNorm default; HF does not pass layer_norm_eps to the conv blocks' norms.
    private const float ConvNormEps = 1e-5f;

    private readonly Wav2Vec2Config _config;
    private readonly IReadOnlyDictionary<string, WeightTensor> _weights;
    private readonly StructuredShrink.Plan _plan;
    private readonly OnnxBuildOptions _options;
    private readonly OnnxGraph _graph = new();
    private readonly HashSet<string> _emitted = new(StringComparer.Ordinal);
    private string _batchDim = "";

    private Wav2Vec2OnnxBuilder(
        Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> weights, StructuredShrink.Plan plan, OnnxBuildOptions options)
    {
        _config = config;
        _weights = weights;
        _plan = plan;
        _options = options;
    }

    /// <summary>
    /// Builds the model. <paramref name="weights"/> may carry the <c>wav2vec2.</c>/<c>hubert.</c> prefix and the weight
    /// norm as <c>weight_g</c>/<c>weight_v</c> or <c>parametrizations.weight.original0/1</c>. When
    /// <paramref name="mask"/> is given, each named tensor is stored as <c>W * M</c>. The initializers' raw data are the
    /// weight arrays themselves, not copies: leave them unchanged while the returned model is in use.
    /// </summary>
    public static ModelProto Build(
        Wav2Vec2Config config,
        IReadOnlyDictionary<string, WeightTensor> weights,
        IReadOnlyDictionary<string, bool[]>? mask = null) => Build(config, weights, mask, new OnnxBuildOptions());

    /// <summary>
    /// <see cref="Build(Wav2Vec2Config, IReadOnlyDictionary{string, WeightTensor}, IReadOnlyDictionary{string, bool[]}?)"/>
    /// with structured shrinking and token dropping as <paramref name="options"/> say.
    /// </summary>
    public static ModelProto Build(
        Wav2Vec2Config config,
        IReadOnlyDictionary<string, WeightTensor> weights,
        IReadOnlyDictionary<string, bool[]>? mask,
        OnnxBuildOptions options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        config.Validate();
        options.TokenDropping?.Validate();
        if (options.HiddenStates && options.TokenDropping is { IsActive: true })
        {
            throw new Core.Errors.FailedPreconditionException(
                "Token dropping removes frames between the conv features and the transformer; the hidden states outputs do not support it.");
        }

        var effective = Effective(config, weights, mask);
        var plan = options.Shrink ? StructuredShrink.Find(config, effective) : StructuredShrink.Full(config);
        if (!StructuredShrink.IsFull(config, plan))
        {
            effective = StructuredShrink.Apply(config, effective, plan);
        }

        return new Wav2Vec2OnnxBuilder(config, effective, plan, options).Emit();
    }

    /// <summary>The structures a graph built from these weights and mask keeps (what shrinking leaves).</summary>
    public static Core.Pruning.StructuredShape KeptStructure(
        Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> weights, IReadOnlyDictionary<string, bool[]>? mask = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return StructuredShrink.Find(config, Effective(config, weights, mask)).Shape;
    }

    /// <summary><see cref="Build(Wav2Vec2Config, IReadOnlyDictionary{string, WeightTensor}, IReadOnlyDictionary{string, bool[]}?)"/> serialised to ONNX bytes.</summary>
    public static byte[] BuildBytes(
        Wav2Vec2Config config,
        IReadOnlyDictionary<string, WeightTensor> weights,
        IReadOnlyDictionary<string, bool[]>? mask = null) => BuildBytes(config, weights, mask, new OnnxBuildOptions());

    /// <summary><see cref="Build(Wav2Vec2Config, IReadOnlyDictionary{string, WeightTensor}, IReadOnlyDictionary{string, bool[]}?, OnnxBuildOptions)"/> serialised to ONNX bytes.</summary>
    public static byte[] BuildBytes(
        Wav2Vec2Config config,
        IReadOnlyDictionary<string, WeightTensor> weights,
        IReadOnlyDictionary<string, bool[]>? mask,
        OnnxBuildOptions options) => Google.Protobuf.MessageExtensions.ToByteArray(Build(config, weights, mask, options));

    private static IReadOnlyDictionary<string, WeightTensor> Effective(
        Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> weights, IReadOnlyDictionary<string, bool[]>? mask)
    {
        var normalized = Wav2Vec2Weights.Normalize(weights);
        Wav2Vec2Weights.Validate(config, normalized);
        return mask is null ? normalized : RouteMasks.Apply(normalized, mask);
    }

    /// <summary>True for layer-norm conv blocks (<c>feat_extract_norm = layer</c>), false for the group-norm first layer.</summary>
    public static bool IsLayerNormExtractor(Wav2Vec2Config config) =>
        config.FeatExtractNorm == "layer";

    /// <summary>Output frames for <paramref name="samples"/> input samples (0 when the audio is shorter than one receptive field).</summary>
    public static long OutputFrames(Wav2Vec2Config config, long samples)
    {
        var length = samples;
        for (var i = 0; i < config.NumFeatExtractLayers; i++)
        {
            length = Math.Max(length - config.ConvKernel[i] + config.ConvStride[i], 0) / config.ConvStride[i];
        }

        return length;
    }

    /// <summary>Smallest input that yields one frame (400 samples = 25 ms at 16 kHz for the standard extractor).</summary>
    public static long MinimumSamples(Wav2Vec2Config config)
    {
        long length = 1;
        for (var i = config.NumFeatExtractLayers - 1; i >= 0; i--)
        {
            length = ((length - 1) * config.ConvStride[i]) + config.ConvKernel[i];
        }

        return length;
    }

    private ModelProto Emit()
    {
        var g = _graph;
        g.Graph.Input.Add(Value(WaveformsInput, DataType.Float, "batch", "samples"));
        g.Graph.Input.Add(Value(LengthsInput, DataType.Int64, "batch"));
        g.Graph.Output.Add(Value(HiddenStateOutput, DataType.Float, "batch", "frames", _config.HiddenSize));
        g.Graph.Output.Add(Value(OutputLengthsOutput, DataType.Int64, "batch"));
        var dropping = _options.TokenDropping is { IsActive: true } ? _options.TokenDropping : null;
        if (dropping is not null)
        {
            g.Graph.Output.Add(Value(FrameIndexOutput, DataType.Int64, "batch", "frames"));
        }

        var states = _options.HiddenStates ? new List<string>() : null;
        if (states is not null)
        {
            g.Graph.Output.Add(Value(ConvFeaturesOutput, DataType.Float, "batch", "frames", _config.ConvDim[^1]));
            g.Graph.Output.Add(Value(FrontendHiddenOutput, DataType.Float, "batch", "frames", _config.HiddenSize));
            g.Graph.Output.Add(Value(EncoderStatesOutput, DataType.Float, "batch", "frames", _config.NumHiddenLayers * _config.HiddenSize));
        }

        _batchDim = g.Node("Shape", "/batch", [WaveformsInput], Int("start", 0), Int("end", 1)); // [1]
        var (features, lengths) = FeatureExtractor();                                            // [B, C, T], [B]
        if (dropping is not null)
        {
            string frameIndex;
            (features, lengths, frameIndex) = TokenDropGraph.Emit(g, _config, dropping, WaveformsInput, features, lengths); // [B, C, T'], [B], [B, T']
            g.NodeTo("Identity", FrameIndexOutput, [frameIndex]);
        }

        var valid = ValidFrames(features, lengths, "/frames");                                    // bool [B, T]
        var hidden = FeatureProjection(features, states is null ? null : ConvFeaturesOutput);    // [B*T, H]
        hidden = EncoderInput(hidden, valid);                                                     // [B*T, H]
        var hiddenShape = g.Node("Concat", "/shape_bth", [_batchDim, g.Int64s("/minus1_h", -1, _config.HiddenSize)], Int("axis", 0));
        if (states is not null)
        {
            g.NodeTo("Reshape", FrontendHiddenOutput, [hidden, hiddenShape]);                     // [B, T, H], hidden state 0
        }

        hidden = EncoderLayers(hidden, valid, states);                                            // [B*T, H]
        g.NodeTo("Reshape", HiddenStateOutput, [hidden, hiddenShape]);                            // [B, T, H]
        g.NodeTo("Identity", OutputLengthsOutput, [lengths]);
        if (states is not null)
        {
            EmitEncoderStates(states);
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "S3Router",
            ProducerVersion = "1",
            DocString = $"wav2vec2 backbone ({(_config.DoStableLayerNorm ? "stable layer norm" : "base")} style)",
            Graph = g.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    /// <summary>waveforms [B, S] -> features [B, C, T] and valid frame counts [B].</summary>
    private (string Features, string Lengths) FeatureExtractor()
    {
        var g = _graph;
        var x = g.Node("Unsqueeze", "/feature_extractor/input", [WaveformsInput, g.Int64s("/axes_1", 1)]); // [B, 1, S]
        var lengths = LengthsInput;
        var zero = g.Int64Scalar("/zero_i64", 0);
        for (var i = 0; i < _config.NumFeatExtractLayers; i++)
        {
            var prefix = $"feature_extractor.conv_layers.{i}.";
            var hint = $"/feature_extractor/conv_layers.{i}";
            int kernel = _config.ConvKernel[i], stride = _config.ConvStride[i];
            List<string> inputs = [x, Param(prefix + "conv.weight")];
            if (_config.ConvBias)
            {
                inputs.Add(Param(prefix + "conv.bias"));
            }

            x = g.Node("Conv", hint + "/conv", inputs, Ints("kernel_shape", kernel), Ints("strides", stride)); // [B, C_i, T_i]

            // floor((L - k) / s) + 1, clamped at 0 frames: max(L - k + s, 0) / s in integers.
            var shifted = g.Node("Sub", hint + "/len", [lengths, g.Int64Scalar(hint + "/k_minus_s", kernel - stride)]);
            lengths = g.Node("Div", hint + "/len", [g.Node("Max", hint + "/len", [shifted, zero]), g.Int64Scalar(hint + "/stride", stride)]);

            if (IsLayerNormExtractor(_config))
            {
                var t = g.Node("Transpose", hint + "/btc", [x], Ints("perm", 0, 2, 1));            // [B, T, C]
                t = LayerNorm(t, prefix + "layer_norm", ConvNormEps, hint);
                x = g.Node("Transpose", hint + "/bct", [t], Ints("perm", 0, 2, 1));                // [B, C, T]
            }
            else if (i == 0)
            {
                x = MaskedGroupNorm(x, lengths, prefix + "layer_norm", hint);
            }

            x = Activation(x, _config.FeatExtractActivation, "feat_extract_activation", hint);
        }

        return (x, lengths);
    }

    /// <summary>
    /// GroupNorm with one group per channel (mean and variance over time per channel and utterance), restricted to the
    /// valid frames. x [B, C, T] -> [B, C, T].
    /// </summary>
    private string MaskedGroupNorm(string x, string lengths, string param, string hint)
    {
        var g = _graph;
        hint += "/group_norm";
        var valid = ValidFrames(x, lengths, hint);
        var axes = g.Int64s(hint + "/axes", 1);
        var mask = g.Node("Cast", hint + "/mask", [g.Node("Unsqueeze", hint + "/mask", [valid, axes])], Int("to", (int)DataType.Float)); // [B, 1, T]
        var time = g.Int64s(hint + "/time_axis", 2);
        var count = g.Node("ReduceSum", hint + "/count", [mask, time], Int("keepdims", 1));              // [B, 1, 1]
        count = g.Node("Max", hint + "/count", [count, g.FloatScalar(hint + "/one", 1f)]);
        var sum = g.Node("ReduceSum", hint + "/sum", [g.Node("Mul", hint + "/masked", [x, mask]), time], Int("keepdims", 1));
        var mean = g.Node("Div", hint + "/mean", [sum, count]);                                          // [B, C, 1]
        var centered = g.Node("Sub", hint + "/centered", [x, mean]);                                     // [B, C, T]
        var squares = g.Node("Mul", hint + "/squares", [g.Node("Mul", hint + "/squares", [centered, centered]), mask]);
        var variance = g.Node("Div", hint + "/var", [g.Node("ReduceSum", hint + "/var", [squares, time], Int("keepdims", 1)), count]);
        var std = g.Node("Sqrt", hint + "/std", [g.Node("Add", hint + "/var_eps", [variance, g.FloatScalar(hint + "/eps", ConvNormEps)])]);
        var normalized = g.Node("Div", hint + "/normalized", [centered, std]);
        var channels = g.Int64s(hint + "/c1", -1, 1);
        var scale = g.Node("Reshape", hint + "/scale", [Param(param + ".weight"), channels]);           // [C, 1]
        var bias = g.Node("Reshape", hint + "/bias", [Param(param + ".bias"), channels]);               // [C, 1]
        return g.Node("Add", hint + "/out", [g.Node("Mul", hint + "/scaled", [normalized, scale]), bias]);
    }

    /// <summary>
    /// features [B, C, T] -> hidden [B*T, H] (LayerNorm, Linear). With <paramref name="convFeaturesOutput"/>, the
    /// features as [B, T, C] are also that graph output (the transpose the projection needs anyway, no extra node).
    /// </summary>
    private string FeatureProjection(string features, string? convFeaturesOutput = null)
    {
        var g = _graph;
        var lastChannels = _config.ConvDim[^1];
        string x;
        if (convFeaturesOutput is null)
        {
            x = g.Node("Transpose", "/feature_projection/btc", [features], Ints("perm", 0, 2, 1));      // [B, T, C]
        }
        else
        {
            g.NodeTo("Transpose", convFeaturesOutput, [features], Ints("perm", 0, 2, 1));               // [B, T, C]
            x = convFeaturesOutput;
        }

        x = g.Node("Reshape", "/feature_projection/flat", [x, g.Int64s("/minus1_c", -1, lastChannels)]); // [B*T, C]
        if (_config.FeatProjLayerNorm)
        {
            x = LayerNorm(x, "feature_projection.layer_norm", (float)_config.LayerNormEps, "/feature_projection");
        }

        return Linear(x, "feature_projection.projection", "/feature_projection");                       // [B*T, H]
    }

    /// <summary>
    /// The unmasked start of the encoder: padding zeroed, positional conv added, and (base style) the encoder
    /// LayerNorm. hidden [B*T, H], valid bool [B, T] -> [B*T, H].
    /// </summary>
    private string EncoderInput(string hidden, string valid)
    {
        var g = _graph;

        // Padded frames are zero before the positional conv (and so in the residual too), as in HF.
        var frameMask = g.Node("Cast", "/encoder/frame_mask",
            [g.Node("Reshape", "/encoder/frame_mask", [valid, g.Int64s("/minus1_1", -1, 1)])], Int("to", (int)DataType.Float)); // [B*T, 1]
        hidden = g.Node("Mul", "/encoder/zero_padding", [hidden, frameMask]);
        hidden = g.Node("Add", "/encoder/with_pos", [hidden, PositionalConv(hidden)]);
        if (!_config.DoStableLayerNorm)
        {
            hidden = LayerNorm(hidden, "encoder.layer_norm", (float)_config.LayerNormEps, "/encoder");
        }

        return hidden;
    }

    /// <summary>
    /// The transformer layers (and the stable style's final LayerNorm). hidden [B*T, H], valid bool [B, T] -> [B*T, H].
    /// When <paramref name="states"/> is given, each layer's output (the last one after the final LayerNorm) is added
    /// to it, [B*T, H] each.
    /// </summary>
    private string EncoderLayers(string hidden, string valid, List<string>? states = null)
    {
        var g = _graph;
        var h = _config.HiddenSize;

        // Additive attention bias over keys: 0 for valid frames, float.MinValue for padding (HF uses finfo.min).
        var keyValid = g.Node("Unsqueeze", "/encoder/key_valid", [valid, g.Int64s("/axes_1_2", 1, 2)]); // [B, 1, 1, T]
        var attentionBias = g.Node("Where", "/encoder/attention_bias",
            [keyValid, g.FloatScalar("/encoder/zero_f", 0f), g.FloatScalar("/encoder/min_f", float.MinValue)]);

        var headDim = h / _config.NumAttentionHeads;
        var headsShapes = new Dictionary<int, string>();
        for (var l = 0; l < _config.NumHiddenLayers; l++)
        {
            // Layers that keep the same number of heads share one shape constant.
            var heads = _plan.Heads[l].Length;
            if (!headsShapes.TryGetValue(heads, out var headsShape))
            {
                headsShape = g.Node("Concat", "/encoder/shape_heads", [_batchDim, g.Int64s("/minus1_heads_dim", -1, heads, headDim)], Int("axis", 0));
                headsShapes[heads] = headsShape;
            }

            hidden = EncoderLayer(hidden, l, headsShape, attentionBias);
            states?.Add(hidden);
        }

        if (_config.DoStableLayerNorm)
        {
            hidden = LayerNorm(hidden, "encoder.layer_norm", (float)_config.LayerNormEps, "/encoder");
            if (states is not null)
            {
                states[^1] = hidden;
            }
        }

        return hidden;
    }

    /// <summary>Layer outputs [B*T, H] each -> the <see cref="EncoderStatesOutput"/> [B, T, L·H].</summary>
    private void EmitEncoderStates(List<string> states)
    {
        var g = _graph;
        var width = states.Count * _config.HiddenSize;
        var concatenated = g.Node("Concat", "/encoder/states", states, Int("axis", 1));                          // [B*T, L*H]
        var shape = g.Node("Concat", "/encoder/shape_states", [_batchDim, g.Int64s("/encoder/minus1_states", -1, width)], Int("axis", 0));
        g.NodeTo("Reshape", EncoderStatesOutput, [concatenated, shape]);                                        // [B, T, L*H]
    }

    /// <summary>
    /// Grouped conv over time with "same" padding (an even kernel drops the last frame, like HF's SamePadLayer:
    /// asymmetric pads give exactly those frames), then the activation. hidden [B*T, H] -> [B*T, H].
    /// </summary>
    private string PositionalConv(string hidden)
    {
        var g = _graph;
        const string hint = "/encoder/pos_conv_embed";
        var h = _config.HiddenSize;
        var kernel = _config.NumConvPosEmbeddings;
        var shape = g.Node("Concat", hint + "/shape_bth", [_batchDim, g.Int64s(hint + "/minus1_h", -1, h)], Int("axis", 0));
        var x = g.Node("Reshape", hint + "/bth", [hidden, shape]);                                     // [B, T, H]
        x = g.Node("Transpose", hint + "/bht", [x], Ints("perm", 0, 2, 1));                            // [B, H, T]
        x = g.Node("Conv", hint + "/conv",
            [x, Param(Wav2Vec2Weights.PosConvWeight), Param("encoder.pos_conv_embed.conv.bias")],
            Ints("kernel_shape", kernel), Ints("pads", kernel / 2, kernel - 1 - (kernel / 2)),
            Int("group", _config.NumConvPosEmbeddingGroups));                                         // [B, H, T]
        x = Activation(x, _config.FeatExtractActivation, "feat_extract_activation", hint);
        x = g.Node("Transpose", hint + "/bth", [x], Ints("perm", 0, 2, 1));                            // [B, T, H]
        return g.Node("Reshape", hint + "/flat", [x, g.Int64s(hint + "/minus1_h_flat", -1, h)]);      // [B*T, H]
    }

    /// <summary>Post-LN (base) or pre-LN (stable layer norm) transformer layer. [B*T, H] -> [B*T, H].</summary>
    private string EncoderLayer(string hidden, int index, string headsShape, string attentionBias)
    {
        var g = _graph;
        var prefix = $"encoder.layers.{index}.";
        var hint = $"/encoder/layers.{index}";
        var eps = (float)_config.LayerNormEps;
        if (_config.DoStableLayerNorm)
        {
            var attended = Attention(LayerNorm(hidden, prefix + "layer_norm", eps, hint), prefix, hint, _plan.Heads[index].Length, headsShape, attentionBias);
            hidden = g.Node("Add", hint + "/attn_residual", [hidden, attended]);
            var ff = FeedForward(LayerNorm(hidden, prefix + "final_layer_norm", eps, hint), prefix, hint);
            return g.Node("Add", hint + "/ff_residual", [hidden, ff]);
        }

        hidden = g.Node("Add", hint + "/attn_residual", [hidden, Attention(hidden, prefix, hint, _plan.Heads[index].Length, headsShape, attentionBias)]);
        hidden = LayerNorm(hidden, prefix + "layer_norm", eps, hint);
        hidden = g.Node("Add", hint + "/ff_residual", [hidden, FeedForward(hidden, prefix, hint)]);
        return LayerNorm(hidden, prefix + "final_layer_norm", eps, hint);
    }

    /// <summary>Multi-head self-attention over the kept heads. x [B*T, H] -> [B*T, H].</summary>
    private string Attention(string x, string prefix, string hint, int keptHeads, string headsShape, string attentionBias)
    {
        var g = _graph;
        hint += "/attention";
        prefix += "attention.";
        var headDim = _config.HiddenSize / _config.NumAttentionHeads;
        var scaling = g.FloatScalar(hint + "/scaling", (float)Math.Pow(headDim, -0.5));
        var q = g.Node("Mul", hint + "/q_scaled", [Linear(x, prefix + "q_proj", hint), scaling]);
        var k = Linear(x, prefix + "k_proj", hint);
        var v = Linear(x, prefix + "v_proj", hint);
        q = g.Node("Transpose", hint + "/q_heads", [g.Node("Reshape", hint + "/q_heads", [q, headsShape])], Ints("perm", 0, 2, 1, 3)); // [B, heads, T, d]
        k = g.Node("Transpose", hint + "/k_heads", [g.Node("Reshape", hint + "/k_heads", [k, headsShape])], Ints("perm", 0, 2, 3, 1)); // [B, heads, d, T]
        v = g.Node("Transpose", hint + "/v_heads", [g.Node("Reshape", hint + "/v_heads", [v, headsShape])], Ints("perm", 0, 2, 1, 3)); // [B, heads, T, d]
        var scores = g.Node("Add", hint + "/scores", [g.Node("MatMul", hint + "/scores", [q, k]), attentionBias]);                     // [B, heads, T, T]
        var probs = g.Node("Softmax", hint + "/probs", [scores], Int("axis", -1));
        var context = g.Node("MatMul", hint + "/context", [probs, v]);                                                                  // [B, heads, T, d]
        context = g.Node("Transpose", hint + "/context_bthd", [context], Ints("perm", 0, 2, 1, 3));                                     // [B, T, heads, d]
        var attentionWidth = keptHeads * headDim;
        context = g.Node("Reshape", hint + "/context_flat", [context, g.Int64s(hint + "/minus1_h", -1, attentionWidth)]);               // [B*T, kept heads * d]
        return Linear(context, prefix + "out_proj", hint);
    }

    /// <summary>x [B*T, H] -> [B*T, H] through [B*T, intermediate].</summary>
    private string FeedForward(string x, string prefix, string hint)
    {
        hint += "/feed_forward";
        var inner = Linear(x, prefix + "feed_forward.intermediate_dense", hint);
        inner = Activation(inner, _config.HiddenAct, "hidden_act", hint);
        return Linear(inner, prefix + "feed_forward.output_dense", hint);
    }

    /// <summary>y = x W^T + b with the HF weight [out, in] kept as is (Gemm transB=1). x [N, in] -> [N, out].</summary>
    private string Linear(string x, string param, string hint) =>
        _graph.Node("Gemm", hint + "/" + param.Split('.')[^1], [x, Param(param + ".weight"), Param(param + ".bias")], Int("transB", 1));

    /// <summary>LayerNorm over the last axis.</summary>
    private string LayerNorm(string x, string param, float eps, string hint) =>
        _graph.Node("LayerNormalization", hint + "/" + param.Split('.')[^1],
            [x, Param(param + ".weight"), Param(param + ".bias")], Int("axis", -1), Float("epsilon", eps));

    /// <summary>x [B, C, T] (C, T any; T on <paramref name="timeAxis"/>) and valid lengths [B] -> bool [B, T], true where t &lt; length.</summary>
    private string ValidFrames(string x, string lengths, string hint, int timeAxis = 2)
    {
        var g = _graph;
        var frames = g.Node("Squeeze", hint + "/frames",
            [g.Node("Shape", hint + "/frames", [x], Int("start", timeAxis), Int("end", timeAxis + 1)), g.Int64s(hint + "/axis0", 0)]); // scalar T
        var positions = g.Node("Range", hint + "/positions", [g.Int64Scalar(hint + "/start", 0), frames, g.Int64Scalar(hint + "/delta", 1)]); // [T]
        positions = g.Node("Unsqueeze", hint + "/positions", [positions, g.Int64s(hint + "/axes0", 0)]);    // [1, T]
        var limits = g.Node("Unsqueeze", hint + "/limits", [lengths, g.Int64s(hint + "/axes1", 1)]);        // [B, 1]
        return g.Node("Less", hint + "/valid", [positions, limits]);                                        // [B, T]
    }

    private string Activation(string x, string name, string field, string hint)
    {
        var g = _graph;
        hint += "/" + name;
        switch (BackboneActivations.Resolve(name, field))
        {
            case BackboneActivation.Gelu:
                // Exact GELU: 0.5 x (1 + erf(x / sqrt 2)); ORT fuses this pattern into one Gelu kernel.
                var erf = g.Node("Erf", hint, [g.Node("Div", hint, [x, g.FloatScalar(hint + "/sqrt2", MathF.Sqrt(2f))])]);
                var gate = g.Node("Add", hint, [erf, g.FloatScalar(hint + "/one", 1f)]);
                return g.Node("Mul", hint, [g.Node("Mul", hint, [x, gate]), g.FloatScalar(hint + "/half", 0.5f)]);
            case BackboneActivation.GeluTanh:
                // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                var cube = g.Node("Mul", hint, [g.Node("Mul", hint, [x, x]), x]);
                var inner = g.Node("Add", hint, [x, g.Node("Mul", hint, [cube, g.FloatScalar(hint + "/c", 0.044715f)])]);
                var tanh = g.Node("Tanh", hint, [g.Node("Mul", hint, [inner, g.FloatScalar(hint + "/k", MathF.Sqrt(2f / MathF.PI))])]);
                var plus = g.Node("Add", hint, [tanh, g.FloatScalar(hint + "/one", 1f)]);
                return g.Node("Mul", hint, [g.Node("Mul", hint, [x, plus]), g.FloatScalar(hint + "/half", 0.5f)]);
            case BackboneActivation.Silu:
                return g.Node("Mul", hint, [x, g.Node("Sigmoid", hint, [x])]);
            case BackboneActivation.Tanh:
                return g.Node("Tanh", hint, [x]);
            default:
                return g.Node("Relu", hint, [x]);
        }
    }

    /// <summary>Adds the named parameter as an initializer (once) and returns its name.</summary>
    private string Param(string name)
    {
        if (_emitted.Add(name))
        {
            var tensor = _weights[name];
            _graph.Initializer(name, tensor.Data, tensor.Shape);
        }

        return name;
    }
}
