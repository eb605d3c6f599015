using S3Router.Core.Backbones;
using S3Router.Core.Masks;
using S3Router.InferenceService.Onnx.Proto;
using static S3Router.InferenceService.Onnx.OnnxGraph;
using DataType = S3Router.InferenceService.Onnx.Proto.TensorProto.Types.DataType;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// The token-dropping section of the backbone graph, between the conv frontend and the feature projection (S6-DAMON's
/// SALAD idea with cheap detectors, see <see cref="TokenDroppingSettings"/>):
/// <list type="bullet">
/// <item>silence: the energy of the audio in each frame's receptive field (a ones-kernel conv over the squared
/// waveform with the frontend's receptive field and hop, so frame t sees exactly the samples the frontend's frame t
/// sees) below the threshold; then dilated by the margin, so frames next to a loud one stay;</item>
/// <item>repeats: cosine similarity of a frame's frontend features with the previous frame's at or above the threshold.</item>
/// </list>
/// Kept frames are moved to the front in their original order (a TopK on <c>t</c> for kept and <c>T + t</c> for dropped
/// frames), the lengths become the kept counts, and <c>frame_index</c> maps each output frame back to its frontend
/// frame, so CTC time offsets stay in the original time base. Every valid row keeps at least one frame.
/// </summary>
internal static class TokenDropGraph
{
    private const string Hint = "/token_dropping";

    /// <summary>features [B, C, T], lengths [B] -> kept features [B, C, T'], kept lengths [B], frame index int64 [B, T'].</summary>
    public static (string Features, string Lengths, string FrameIndex) Emit(
        OnnxGraph g, Wav2Vec2Config config, TokenDroppingSettings settings, string waveforms, string features, string lengths)
    {
        var framesVector = g.Node("Shape", Hint + "/frames", [features], Int("start", 2), Int("end", 3));        // [1] = T
        var frames = g.Node("Squeeze", Hint + "/frames", [framesVector, g.Int64s(Hint + "/axis0", 0)]);         // scalar T
        var positions = g.Node("Range", Hint + "/positions", [g.Int64Scalar(Hint + "/start", 0), frames, g.Int64Scalar(Hint + "/delta", 1)]);
        positions = g.Node("Unsqueeze", Hint + "/positions", [positions, g.Int64s(Hint + "/axes0", 0)]);         // [1, T]
        var limits = g.Node("Unsqueeze", Hint + "/limits", [lengths, g.Int64s(Hint + "/axes1", 1)]);             // [B, 1]
        var keep = g.Node("Less", Hint + "/valid", [positions, limits]);                                         // bool [B, T]

        if (settings.SilenceDbfs is { } dbfs)
        {
            keep = g.Node("And", Hint + "/keep_loud", [keep, Loud(g, config, dbfs, settings.MarginFrames, waveforms, framesVector)]);
        }

        if (settings.RepeatCosine is { } cosine)
        {
            keep = g.Node("And", Hint + "/keep_new", [keep, g.Node("Not", Hint + "/new", [Repeats(g, cosine, features)])]);
        }

        // A row that would keep nothing keeps its first frame.
        var axis1 = g.Int64s(Hint + "/axis1", 1);
        var count = g.Node("ReduceSum", Hint + "/count", [g.Node("Cast", Hint + "/keep_i64", [keep], Int("to", (int)DataType.Int64)), axis1], Int("keepdims", 1)); // [B, 1]
        var none = g.Node("Equal", Hint + "/none", [count, g.Int64Scalar(Hint + "/zero", 0)]);                // [B, 1]
        var first = g.Node("Equal", Hint + "/first", [positions, g.Int64Scalar(Hint + "/zero_pos", 0)]);       // [1, T]
        keep = g.Node("Or", Hint + "/keep", [keep, g.Node("And", Hint + "/fallback", [none, first])]);         // [B, T]

        // Kept frames first, in order: sort t (kept) / T + t (dropped) ascending.
        var position = g.Node("Cast", Hint + "/position_f", [positions], Int("to", (int)DataType.Float));     // [1, T]
        var dropped = g.Node("Add", Hint + "/dropped_key", [position, g.Node("Cast", Hint + "/frames_f", [frames], Int("to", (int)DataType.Float))]);
        var key = g.Node("Where", Hint + "/key", [keep, position, dropped]);                                  // [B, T]
        var order = TopKIndices(g, key, framesVector);                                                          // int64 [B, T]

        var keptLengths = g.Node("ReduceSum", Hint + "/lengths",
            [g.Node("Cast", Hint + "/kept_i64", [keep], Int("to", (int)DataType.Int64)), axis1], Int("keepdims", 0)); // [B]
        var longest = g.Node("ReduceMax", Hint + "/longest", [keptLengths], Ints("axes", 0), Int("keepdims", 1)); // [1]
        var frameIndex = g.Node("Slice", Hint + "/frame_index", [order, g.Int64s(Hint + "/slice_start", 0), longest, axis1]); // [B, T']

        var gatherIndex = g.Node("Unsqueeze", Hint + "/gather_index", [frameIndex, axis1]);                    // [B, 1, T']
        gatherIndex = g.Node("Expand", Hint + "/gather_index", [gatherIndex, g.Int64s(Hint + "/channels", 1, config.ConvDim[^1], 1)]); // [B, C, T']
        var kept = g.Node("GatherElements", Hint + "/features", [features, gatherIndex], Int("axis", 2));       // [B, C, T']
        return (kept, keptLengths, frameIndex);
    }

    /// <summary>bool [B, T]: frame within <paramref name="margin"/> frames of one whose receptive field is at least <paramref name="dbfs"/> RMS.</summary>
    private static string Loud(OnnxGraph g, Wav2Vec2Config config, double dbfs, int margin, string waveforms, string framesVector)
    {
        var field = Wav2Vec2OnnxBuilder.MinimumSamples(config);
        var x = g.Node("Unsqueeze", Hint + "/audio", [waveforms, g.Int64s(Hint + "/audio_axis", 1)]);          // [B, 1, S]
        var squares = g.Node("Mul", Hint + "/squares", [x, x]);
        var ones = g.Initializer(Hint + "/receptive_field", Enumerable.Repeat(1f, (int)field).ToArray(), [1, 1, field]);
        var energy = g.Node("Conv", Hint + "/energy", [squares, ones],
            Ints("kernel_shape", field), Ints("strides", config.FrameHopSamples));                             // [B, 1, T0], T0 = T
        energy = g.Node("Slice", Hint + "/energy", [energy, g.Int64s(Hint + "/energy_start", 0), framesVector, g.Int64s(Hint + "/energy_axis", 2)]); // [B, 1, T]
        // RMS >= 10^(dB/20)  <=>  sum of squares >= field * 10^(dB/10).
        var threshold = (float)(field * Math.Pow(10, dbfs / 10));
        var loud = g.Node("Cast", Hint + "/loud", [g.Node("GreaterOrEqual", Hint + "/loud", [energy, g.FloatScalar(Hint + "/threshold", threshold)])],
            Int("to", (int)DataType.Float));                                                                   // [B, 1, T]
        if (margin > 0)
        {
            loud = g.Node("MaxPool", Hint + "/margin", [loud], Ints("kernel_shape", (2 * margin) + 1), Ints("pads", margin, margin), Ints("strides", 1));
        }

        loud = g.Node("Squeeze", Hint + "/loud_bt", [loud, g.Int64s(Hint + "/loud_axis", 1)]);                 // [B, T]
        return g.Node("Greater", Hint + "/loud_bool", [loud, g.FloatScalar(Hint + "/half", 0.5f)]);
    }

    /// <summary>bool [B, T]: cosine of frame t's features with frame t-1's at least <paramref name="threshold"/> (never for t = 0).</summary>
    private static string Repeats(OnnxGraph g, double threshold, string features)
    {
        var axis1 = g.Int64s(Hint + "/channel_axis", 1);
        var time = g.Int64s(Hint + "/time_axis", 2);
        var current = g.Node("Slice", Hint + "/current", [features, g.Int64s(Hint + "/from1", 1), g.Int64s(Hint + "/to_end", long.MaxValue), time]); // [B, C, T-1]
        var previous = g.Node("Slice", Hint + "/previous", [features, g.Int64s(Hint + "/from0", 0), g.Int64s(Hint + "/to_last", -1), time]);     // [B, C, T-1]
        var dot = g.Node("ReduceSum", Hint + "/dot", [g.Node("Mul", Hint + "/products", [current, previous]), axis1], Int("keepdims", 0)); // [B, T-1]
        var norm = g.Node("Sqrt", Hint + "/norm",
            [g.Node("ReduceSum", Hint + "/norm", [g.Node("Mul", Hint + "/squares_f", [features, features]), axis1], Int("keepdims", 0))]); // [B, T]
        var frameAxis = g.Int64s(Hint + "/frame_axis", 1);
        var normCurrent = g.Node("Slice", Hint + "/norm_current", [norm, g.Int64s(Hint + "/n_from1", 1), g.Int64s(Hint + "/n_to_end", long.MaxValue), frameAxis]);
        var normPrevious = g.Node("Slice", Hint + "/norm_previous", [norm, g.Int64s(Hint + "/n_from0", 0), g.Int64s(Hint + "/n_to_last", -1), frameAxis]);
        var denominator = g.Node("Add", Hint + "/denominator", [g.Node("Mul", Hint + "/norms", [normCurrent, normPrevious]), g.FloatScalar(Hint + "/tiny", 1e-12f)]);
        var cosine = g.Node("Div", Hint + "/cosine", [dot, denominator]);                                       // [B, T-1]
        cosine = g.Node("Pad", Hint + "/cosine", [cosine, g.Int64s(Hint + "/pad_first", 0, 1, 0, 0), g.FloatScalar(Hint + "/pad_value", -2f)]); // [B, T]
        return g.Node("GreaterOrEqual", Hint + "/repeat", [cosine, g.FloatScalar(Hint + "/cosine_threshold", (float)threshold)]);
    }

    /// <summary>The indices of TopK (ascending, sorted) over the last axis; TopK has two outputs, so it is written by hand.</summary>
    private static string TopKIndices(OnnxGraph g, string key, string k)
    {
        const string values = Hint + "/sorted_values";
        const string indices = Hint + "/sorted_indices";
        var node = new NodeProto { OpType = "TopK", Name = Hint + "/TopK" };
        node.Input.Add(key);
        node.Input.Add(k);
        node.Output.Add(values);
        node.Output.Add(indices);
        node.Attribute.Add(Int("axis", -1));
        node.Attribute.Add(Int("largest", 0));
        node.Attribute.Add(Int("sorted", 1));
        g.Graph.Node.Add(node);
        return indices;
    }
}
