using S3Router.Core.Backbones;
using S3Router.InferenceService.Onnx.Proto;
using static S3Router.InferenceService.Onnx.OnnxGraph;
using DataType = S3Router.InferenceService.Onnx.Proto.TensorProto.Types.DataType;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// The backbone split in two graphs at the first tensor a route may mask: the <em>frontend</em> (conv feature
/// extractor, feature projection, positional conv and, base style, the encoder LayerNorm), which every route whose
/// masks cover only transformer layers shares, and the <em>encoder</em> (the transformer layers), one per mask.
/// Frontend then encoder computes the same valid frames as <see cref="Build(Wav2Vec2Config, IReadOnlyDictionary{string, WeightTensor}, IReadOnlyDictionary{string, bool[]}?)"/>: padded frames are dropped between
/// the two, and the encoder only ever sees them as masked attention keys.
/// </summary>
public sealed partial class Wav2Vec2OnnxBuilder
{
    /// <summary>Frontend output and encoder input: float [batch, frames, hidden] (frames past a row's length are padding).</summary>
    public const string FrontendHiddenOutput = "frontend_hidden";

    /// <summary>Encoder input: int64 [batch], valid frames of each row.</summary>
    public const string FrameLengthsInput = "frame_lengths";

    /// <summary>
    /// True when the canonical parameter <paramref name="name"/> belongs to the frontend graph (a route that masks it
    /// cannot share the frontend).
    /// </summary>
    public static bool IsFrontendParameter(Wav2Vec2Config config, string name)
    {
        ArgumentNullException.ThrowIfNull(config);
        name = Wav2Vec2Weights.CanonicalName(name);
        return name.StartsWith("feature_extractor.", StringComparison.Ordinal)
            || name.StartsWith("feature_projection.", StringComparison.Ordinal)
            || name.StartsWith("encoder.pos_conv_embed.", StringComparison.Ordinal)
            || (!config.DoStableLayerNorm && name.StartsWith("encoder.layer_norm.", StringComparison.Ordinal));
    }

    /// <summary>
    /// The frontend graph. Inputs as <see cref="Build(Wav2Vec2Config, IReadOnlyDictionary{string, WeightTensor}, IReadOnlyDictionary{string, bool[]}?)"/>; outputs <see cref="FrontendHiddenOutput"/>,
    /// <see cref="OutputLengthsOutput"/> and <see cref="ConvFeaturesOutput"/> (fetch it only when needed: it is the
    /// projection's transposed input, so the graph does no extra work for it). It holds only frontend initializers.
    /// </summary>
    public static ModelProto BuildFrontend(Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> weights)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var normalized = Wav2Vec2Weights.Normalize(weights);
        Wav2Vec2Weights.Validate(config, normalized);
        return new Wav2Vec2OnnxBuilder(config, normalized, StructuredShrink.Full(config), new OnnxBuildOptions()).EmitFrontend();
    }

    /// <summary>
    /// The encoder graph, optionally masked (<c>W * M</c>). Inputs <see cref="FrontendHiddenOutput"/> and
    /// <see cref="FrameLengthsInput"/>; outputs <see cref="HiddenStateOutput"/>, <see cref="OutputLengthsOutput"/> and,
    /// with <paramref name="hiddenStates"/>, <see cref="EncoderStatesOutput"/> (a Concat every run pays, so only
    /// statistics-pooling routes build it). It holds only encoder initializers.
    /// </summary>
    /// <exception cref="Core.Errors.FailedPreconditionException">The mask names a frontend tensor or does not fit.</exception>
    public static ModelProto BuildEncoder(
        Wav2Vec2Config config,
        IReadOnlyDictionary<string, WeightTensor> weights,
        IReadOnlyDictionary<string, bool[]>? mask = null,
        bool hiddenStates = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var frontendMasked = mask?.Keys.FirstOrDefault(name => IsFrontendParameter(config, name));
        if (frontendMasked is not null)
        {
            throw new Core.Errors.FailedPreconditionException(
                $"The route mask covers '{frontendMasked}', part of the shared frontend; build the whole graph for it instead.");
        }

        var normalized = Wav2Vec2Weights.Normalize(weights);
        Wav2Vec2Weights.Validate(config, normalized);
        return BuildEncoderFromEffective(config, mask is null ? normalized : RouteMasks.Apply(normalized, mask), out _, hiddenStates);
    }

    /// <summary>
    /// The encoder graph of weights that are already normalised, validated and masked. Initializers wrap the weight
    /// arrays without copying them (they must stay unchanged until the model is serialised). <paramref name="emitted"/>:
    /// the tensors the graph was built from (after structured shrinking), by initializer name. With
    /// <paramref name="hiddenStates"/> the graph also outputs <see cref="EncoderStatesOutput"/>.
    /// </summary>
    internal static ModelProto BuildEncoderFromEffective(
        Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> effective, out IReadOnlyDictionary<string, WeightTensor> emitted, bool hiddenStates = false)
    {
        // Whole heads and FFN units a structured route zeroed are left out here too, as in the whole graph.
        var plan = StructuredShrink.Find(config, effective);
        if (!StructuredShrink.IsFull(config, plan))
        {
            effective = StructuredShrink.Apply(config, effective, plan);
        }

        emitted = effective;
        return new Wav2Vec2OnnxBuilder(config, effective, plan, new OnnxBuildOptions { HiddenStates = hiddenStates }).EmitEncoder();
    }

    private ModelProto EmitFrontend()
    {
        var g = _graph;
        g.Graph.Input.Add(Value(WaveformsInput, DataType.Float, "batch", "samples"));
        g.Graph.Input.Add(Value(LengthsInput, DataType.Int64, "batch"));
        g.Graph.Output.Add(Value(FrontendHiddenOutput, DataType.Float, "batch", "frames", _config.HiddenSize));
        g.Graph.Output.Add(Value(OutputLengthsOutput, DataType.Int64, "batch"));
        g.Graph.Output.Add(Value(ConvFeaturesOutput, DataType.Float, "batch", "frames", _config.ConvDim[^1]));

        _batchDim = g.Node("Shape", "/batch", [WaveformsInput], Int("start", 0), Int("end", 1)); // [1]
        var (features, lengths) = FeatureExtractor();                                            // [B, C, T], [B]
        var valid = ValidFrames(features, lengths, "/frames");                                    // bool [B, T]
        var hidden = EncoderInput(FeatureProjection(features, ConvFeaturesOutput), valid);       // [B*T, H]

        var hiddenShape = g.Node("Concat", "/shape_bth", [_batchDim, g.Int64s("/minus1_h", -1, _config.HiddenSize)], Int("axis", 0));
        g.NodeTo("Reshape", FrontendHiddenOutput, [hidden, hiddenShape]);                         // [B, T, H]
        g.NodeTo("Identity", OutputLengthsOutput, [lengths]);
        return SplitModel("frontend");
    }

    private ModelProto EmitEncoder()
    {
        var g = _graph;
        g.Graph.Input.Add(Value(FrontendHiddenOutput, DataType.Float, "batch", "frames", _config.HiddenSize));
        g.Graph.Input.Add(Value(FrameLengthsInput, DataType.Int64, "batch"));
        g.Graph.Output.Add(Value(HiddenStateOutput, DataType.Float, "batch", "frames", _config.HiddenSize));
        g.Graph.Output.Add(Value(OutputLengthsOutput, DataType.Int64, "batch"));
        var states = _options.HiddenStates ? new List<string>() : null;
        if (states is not null)
        {
            g.Graph.Output.Add(Value(EncoderStatesOutput, DataType.Float, "batch", "frames", _config.NumHiddenLayers * _config.HiddenSize));
        }

        _batchDim = g.Node("Shape", "/batch", [FrontendHiddenOutput], Int("start", 0), Int("end", 1)); // [1]
        var valid = ValidFrames(FrontendHiddenOutput, FrameLengthsInput, "/frames", timeAxis: 1);       // bool [B, T]
        var hidden = g.Node("Reshape", "/encoder/flat",
            [FrontendHiddenOutput, g.Int64s("/encoder/minus1_h", -1, _config.HiddenSize)]);            // [B*T, H]
        hidden = EncoderLayers(hidden, valid, states);                                                  // [B*T, H]

        var hiddenShape = g.Node("Concat", "/shape_bth", [_batchDim, g.Int64s("/minus1_h", -1, _config.HiddenSize)], Int("axis", 0));
        g.NodeTo("Reshape", HiddenStateOutput, [hidden, hiddenShape]);                                 // [B, T, H]
        g.NodeTo("Identity", OutputLengthsOutput, [FrameLengthsInput]);
        if (states is not null)
        {
            EmitEncoderStates(states);
        }
        return SplitModel("encoder");
    }

    private ModelProto SplitModel(string part)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "S3Router",
            ProducerVersion = "1",
            DocString = $"wav2vec2 backbone {part} ({(_config.DoStableLayerNorm ? "stable layer norm" : "base")} style)",
            Graph = _graph.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }
}
