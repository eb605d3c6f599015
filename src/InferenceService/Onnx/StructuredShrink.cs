using S3Router.Core.Backbones;
using S3Router.Core.Pruning;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// Finds the structures of (masked) weights that contribute nothing and removes them, so the graph is physically
/// smaller. Exact by construction: a structure is removed only when every weight that READS it is zero.
/// <list type="bullet">
/// <item>Attention head h of a layer: the columns <c>[h·d, (h+1)·d)</c> of <c>out_proj.weight</c> are zero. Its rows
/// of q/k/v (and biases) and those out_proj columns go.</item>
/// <item>FFN unit j: column j of <c>output_dense.weight</c> is zero. Row j (and bias) of <c>intermediate_dense</c> and
/// that column go.</item>
/// <item>Conv channel c of layer i &lt; last, base style only: input channel c of layer i+1's weight is zero. Output row
/// c of layer i (bias, and layer 0's per-channel GroupNorm) and that input slice of layer i+1 go. Layer-norm conv
/// blocks and the last layer (read through the feature projection's LayerNorm) are kept whole: a LayerNorm over
/// channels sees every channel, so removing one is not the same as zeroing it.</item>
/// </list>
/// Each layer keeps at least one structure (an all-zero one when all are zero, which is still exact).
/// </summary>
internal static class StructuredShrink
{
    /// <summary>Kept indices per structure: conv channels per conv layer, heads and FFN units per transformer layer.</summary>
    public sealed record Plan(int[][] ConvChannels, int[][] Heads, int[][] FfnUnits)
    {
        public StructuredShape Shape => new()
        {
            ConvChannels = ConvChannels.Select(c => c.Length).ToArray(),
            Heads = Heads.Select(h => h.Length).ToArray(),
            FfnUnits = FfnUnits.Select(f => f.Length).ToArray(),
        };
    }

    /// <summary>The plan for normalised, validated (and masked) weights.</summary>
    public static Plan Find(Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> weights)
    {
        var convLayers = config.NumFeatExtractLayers;
        var conv = new int[convLayers][];
        var shrinkConv = !Wav2Vec2OnnxBuilder.IsLayerNormExtractor(config);
        for (var i = 0; i < convLayers; i++)
        {
            conv[i] = shrinkConv && i < convLayers - 1
                ? NonZeroInputChannels(weights[$"feature_extractor.conv_layers.{i + 1}.conv.weight"])
                : Enumerable.Range(0, config.ConvDim[i]).ToArray();
        }

        var headDim = config.HiddenSize / config.NumAttentionHeads;
        var heads = new int[config.NumHiddenLayers][];
        var ffn = new int[config.NumHiddenLayers][];
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            var outProj = weights[$"encoder.layers.{l}.attention.out_proj.weight"];
            heads[l] = AtLeastOne(Enumerable.Range(0, config.NumAttentionHeads)
                .Where(h => ColumnsNonZero(outProj, h * headDim, headDim)).ToArray());
            ffn[l] = AtLeastOne(NonZeroColumns(weights[$"encoder.layers.{l}.feed_forward.output_dense.weight"]).ToArray());
        }

        return new Plan(conv, heads, ffn);
    }

    /// <summary>The plan that keeps everything.</summary>
    public static Plan Full(Wav2Vec2Config config) => new(
        config.ConvDim.Select(c => Enumerable.Range(0, c).ToArray()).ToArray(),
        Enumerable.Range(0, config.NumHiddenLayers).Select(_ => Enumerable.Range(0, config.NumAttentionHeads).ToArray()).ToArray(),
        Enumerable.Range(0, config.NumHiddenLayers).Select(_ => Enumerable.Range(0, config.IntermediateSize).ToArray()).ToArray());

    /// <summary>True when the plan removes nothing.</summary>
    public static bool IsFull(Wav2Vec2Config config, Plan plan) =>
        plan.Shape is var s && s.ConvChannels.SequenceEqual(config.ConvDim)
        && s.Heads.All(h => h == config.NumAttentionHeads) && s.FfnUnits.All(f => f == config.IntermediateSize);

    /// <summary>A new weight map with the removed structures sliced away (untouched tensors are shared).</summary>
    public static Dictionary<string, WeightTensor> Apply(
        Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> weights, Plan plan)
    {
        var result = new Dictionary<string, WeightTensor>(weights, StringComparer.Ordinal);
        int[]? previous = null;
        for (var i = 0; i < config.NumFeatExtractLayers; i++)
        {
            var prefix = $"feature_extractor.conv_layers.{i}.";
            var kept = plan.ConvChannels[i];
            var w = weights[prefix + "conv.weight"];                                          // [out, in, K]
            result[prefix + "conv.weight"] = SliceConv(w, kept, previous);
            foreach (var vector in new[] { "conv.bias", "layer_norm.weight", "layer_norm.bias" })
            {
                if (weights.TryGetValue(prefix + vector, out var v) && v.Shape.Length == 1 && v.Shape[0] == config.ConvDim[i])
                {
                    result[prefix + vector] = Gather(v, kept);
                }
            }

            previous = kept;
        }

        var headDim = config.HiddenSize / config.NumAttentionHeads;
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            var attention = $"encoder.layers.{l}.attention.";
            var rows = plan.Heads[l].SelectMany(h => Enumerable.Range(h * headDim, headDim)).ToArray();
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj" })
            {
                result[attention + proj + ".weight"] = SliceRows(weights[attention + proj + ".weight"], rows);
                result[attention + proj + ".bias"] = Gather(weights[attention + proj + ".bias"], rows);
            }

            result[attention + "out_proj.weight"] = SliceColumns(weights[attention + "out_proj.weight"], rows);

            var ff = $"encoder.layers.{l}.feed_forward.";
            var units = plan.FfnUnits[l];
            result[ff + "intermediate_dense.weight"] = SliceRows(weights[ff + "intermediate_dense.weight"], units);
            result[ff + "intermediate_dense.bias"] = Gather(weights[ff + "intermediate_dense.bias"], units);
            result[ff + "output_dense.weight"] = SliceColumns(weights[ff + "output_dense.weight"], units);
        }

        return result;
    }

    private static int[] AtLeastOne(int[] kept) => kept.Length > 0 ? kept : [0];

    /// <summary>Input channels c of a conv weight [out, in, K] with a non-zero in <c>[:, c, :]</c>.</summary>
    private static int[] NonZeroInputChannels(WeightTensor w)
    {
        int outs = (int)w.Shape[0], ins = (int)w.Shape[1], k = (int)w.Shape[2];
        var nonZero = new bool[ins];
        for (var o = 0; o < outs; o++)
        {
            for (var c = 0; c < ins; c++)
            {
                var row = w.Data.AsSpan(((o * ins) + c) * k, k);
                nonZero[c] |= row.IndexOfAnyExcept(0f) >= 0;
            }
        }

        return AtLeastOne(Enumerable.Range(0, ins).Where(c => nonZero[c]).ToArray());
    }

    /// <summary>Columns of a [rows, cols] weight holding a non-zero.</summary>
    private static IEnumerable<int> NonZeroColumns(WeightTensor w)
    {
        int rows = (int)w.Shape[0], cols = (int)w.Shape[1];
        var nonZero = new bool[cols];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                nonZero[c] |= w.Data[(r * cols) + c] != 0f;
            }
        }

        return Enumerable.Range(0, cols).Where(c => nonZero[c]);
    }

    private static bool ColumnsNonZero(WeightTensor w, int start, int count)
    {
        int rows = (int)w.Shape[0], cols = (int)w.Shape[1];
        for (var r = 0; r < rows; r++)
        {
            if (w.Data.AsSpan((r * cols) + start, count).IndexOfAnyExcept(0f) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private static WeightTensor Gather(WeightTensor v, int[] index) =>
        new(index.Select(i => v.Data[i]).ToArray(), [index.Length]);

    private static WeightTensor SliceRows(WeightTensor w, int[] rows)
    {
        var cols = (int)w.Shape[1];
        var data = new float[rows.Length * cols];
        for (var r = 0; r < rows.Length; r++)
        {
            w.Data.AsSpan(rows[r] * cols, cols).CopyTo(data.AsSpan(r * cols));
        }

        return new WeightTensor(data, [rows.Length, cols]);
    }

    private static WeightTensor SliceColumns(WeightTensor w, int[] columns)
    {
        int rows = (int)w.Shape[0], cols = (int)w.Shape[1];
        var data = new float[rows * columns.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns.Length; c++)
            {
                data[(r * columns.Length) + c] = w.Data[(r * cols) + columns[c]];
            }
        }

        return new WeightTensor(data, [rows, columns.Length]);
    }

    /// <summary>A conv weight [out, in, K] restricted to output rows <paramref name="outs"/> and input channels <paramref name="ins"/> (all when null).</summary>
    private static WeightTensor SliceConv(WeightTensor w, int[] outs, int[]? ins)
    {
        int inCount = (int)w.Shape[1], k = (int)w.Shape[2];
        ins ??= Enumerable.Range(0, inCount).ToArray();
        var data = new float[outs.Length * ins.Length * k];
        for (var o = 0; o < outs.Length; o++)
        {
            for (var c = 0; c < ins.Length; c++)
            {
                w.Data.AsSpan(((outs[o] * inCount) + ins[c]) * k, k).CopyTo(data.AsSpan(((o * ins.Length) + c) * k));
            }
        }

        return new WeightTensor(data, [outs.Length, ins.Length, k]);
    }
}
