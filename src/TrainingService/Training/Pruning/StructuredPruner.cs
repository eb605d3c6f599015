using S3Router.Core.Backbones;
using S3Router.Core.Pruning;
using S3Router.TrainingService.Model;

namespace S3Router.TrainingService.Training.Pruning;

/// <summary>
/// Data-free structured pruning to a compute target (the ranking half of "structured pruning of SSL speech models",
/// ICASSP 2023, arXiv 2302.14132, without its learned L0 gates: a simple, honest baseline).
/// <list type="bullet">
/// <item>Importance, per structure, from weight magnitudes of the path through it: attention head h = ‖v_proj rows of h‖
/// · ‖out_proj columns of h‖; FFN unit j = ‖intermediate_dense row j‖ · ‖output_dense column j‖; conv channel c of
/// layer i = (‖conv_i row c‖, or |GroupNorm γ_c| for layer 0) · ‖conv_{i+1} input slice c‖.</item>
/// <item>Allocation: one keep ratio ρ for every group (each layer keeps max(1, round(ρ·n)) of its n structures, the most
/// important ones), the largest ρ whose FLOPs (<see cref="BackboneCompute"/>, 10 s of audio) fit the target, by
/// bisection.</item>
/// <item>Conv channels are pruned only where removing equals zeroing: the base style's layers 0..n-2 (group norm is
/// per channel; the last layer feeds the feature projection's LayerNorm). Layer-norm extractors keep every channel.</item>
/// </list>
/// The result is expressed as binary masks (whole rows, columns and channels zero), the form a mask bundle stores.
/// </summary>
internal static class StructuredPruner
{
    /// <summary>Audio length at which the compute fraction is measured: 10 s at 16 kHz.</summary>
    public const long ReferenceSamples = 160_000;

    /// <summary>Kept indices per structure, and the compute fraction they reach.</summary>
    public sealed record Selection(int[][] ConvChannels, int[][] Heads, int[][] FfnUnits, double ComputeKeep)
    {
        public StructuredShape Shape => new()
        {
            ConvChannels = ConvChannels.Select(c => c.Length).ToArray(),
            Heads = Heads.Select(h => h.Length).ToArray(),
            FfnUnits = FfnUnits.Select(f => f.Length).ToArray(),
        };
    }

    /// <summary>Selects the structures to keep for <paramref name="computeKeep"/> (fraction of FLOPs kept, in (0, 1]).</summary>
    public static Selection Select(Wav2Vec2Config config, IReadOnlyDictionary<string, HostTensor> weights, double computeKeep)
    {
        var importance = Importance(config, weights);
        double low = 0, high = 1;
        var best = Keep(config, importance, 0);
        if (best.ComputeKeep > computeKeep)
        {
            return best; // the target is below what one structure per group costs; keep the minimum
        }

        for (var i = 0; i < 40; i++)
        {
            var mid = (low + high) / 2;
            var candidate = Keep(config, importance, mid);
            if (candidate.ComputeKeep <= computeKeep)
            {
                (best, low) = (candidate, mid);
            }
            else
            {
                high = mid;
            }
        }

        var all = Keep(config, importance, 1);
        return all.ComputeKeep <= computeKeep ? all : best;
    }

    /// <summary>
    /// The masks of a selection, by parameter name (no prefix): conv weights lose removed output rows and input
    /// slices, q/k/v lose the rows of removed heads and out_proj their columns, intermediate_dense loses rows and
    /// output_dense columns of removed units. Tensors with nothing removed get no mask.
    /// </summary>
    public static Dictionary<string, bool[]> Masks(Wav2Vec2Config config, Selection selection)
    {
        var masks = new Dictionary<string, bool[]>(StringComparer.Ordinal);
        var inChannels = 1;
        HashSet<int>? keptIn = null;
        for (var i = 0; i < config.NumFeatExtractLayers; i++)
        {
            int outs = config.ConvDim[i], k = config.ConvKernel[i], ins = inChannels;
            var keptOut = selection.ConvChannels[i].ToHashSet();
            var previous = keptIn;
            if (keptOut.Count < outs || (previous is not null && previous.Count < ins))
            {
                masks[$"feature_extractor.conv_layers.{i}.conv.weight"] = Enumerable.Range(0, outs * ins * k)
                    .Select(e => keptOut.Contains(e / (ins * k)) && (previous is null || previous.Contains(e / k % ins))).ToArray();
            }

            keptIn = keptOut;
            inChannels = outs;
        }

        int h = config.HiddenSize, d = h / config.NumAttentionHeads, f = config.IntermediateSize;
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            var prefix = $"encoder.layers.{l}.";
            var heads = selection.Heads[l].ToHashSet();
            if (heads.Count < config.NumAttentionHeads)
            {
                var rows = Enumerable.Range(0, h * h).Select(e => heads.Contains(e / h / d)).ToArray();
                foreach (var proj in new[] { "q_proj", "k_proj", "v_proj" })
                {
                    masks[prefix + $"attention.{proj}.weight"] = rows;
                }

                masks[prefix + "attention.out_proj.weight"] = Enumerable.Range(0, h * h).Select(e => heads.Contains(e % h / d)).ToArray();
            }

            var units = selection.FfnUnits[l].ToHashSet();
            if (units.Count < f)
            {
                masks[prefix + "feed_forward.intermediate_dense.weight"] = Enumerable.Range(0, f * h).Select(e => units.Contains(e / h)).ToArray();
                masks[prefix + "feed_forward.output_dense.weight"] = Enumerable.Range(0, h * f).Select(e => units.Contains(e % f)).ToArray();
            }
        }

        return masks;
    }

    /// <summary>Whether conv channels of layer <paramref name="layer"/> may be removed (see the class remarks).</summary>
    public static bool CanPruneConv(Wav2Vec2Config config, int layer) =>
        config.FeatExtractNorm != "layer" && layer < config.NumFeatExtractLayers - 1;

    private static Selection Keep(Wav2Vec2Config config, Importances importance, double ratio)
    {
        static int[] Top(double[] scores, double ratio)
        {
            var count = Math.Clamp((int)Math.Round(ratio * scores.Length), 1, scores.Length);
            // Highest importance first; ties by index so the choice is deterministic. Kept indices ascending.
            return Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(count).Order().ToArray();
        }

        var conv = importance.Conv.Select((scores, i) => CanPruneConv(config, i) ? Top(scores, ratio) : Enumerable.Range(0, scores.Length).ToArray()).ToArray();
        var heads = importance.Heads.Select(s => Top(s, ratio)).ToArray();
        var ffn = importance.Ffn.Select(s => Top(s, ratio)).ToArray();
        var shape = new StructuredShape
        {
            ConvChannels = conv.Select(c => c.Length).ToArray(),
            Heads = heads.Select(c => c.Length).ToArray(),
            FfnUnits = ffn.Select(c => c.Length).ToArray(),
        };
        return new Selection(conv, heads, ffn, BackboneCompute.KeptFraction(config, shape, ReferenceSamples));
    }

    private sealed record Importances(double[][] Conv, double[][] Heads, double[][] Ffn);

    private static Importances Importance(Wav2Vec2Config config, IReadOnlyDictionary<string, HostTensor> weights)
    {
        float[] W(string name) => (weights.TryGetValue(name, out var t) ? t : weights["wav2vec2." + name]).Data;

        var conv = new double[config.NumFeatExtractLayers][];
        var inChannels = 1;
        for (var i = 0; i < config.NumFeatExtractLayers; i++)
        {
            int outs = config.ConvDim[i], k = config.ConvKernel[i];
            var own = W($"feature_extractor.conv_layers.{i}.conv.weight");
            var scores = new double[outs];
            for (var c = 0; c < outs; c++)
            {
                scores[c] = i == 0 && config.FeatExtractNorm != "layer"
                    ? Math.Abs(W("feature_extractor.conv_layers.0.layer_norm.weight")[c])
                    : Norm(own.AsSpan(c * inChannels * k, inChannels * k));
            }

            if (i + 1 < config.NumFeatExtractLayers)
            {
                var next = W($"feature_extractor.conv_layers.{i + 1}.conv.weight");
                int nextOuts = config.ConvDim[i + 1], nextK = config.ConvKernel[i + 1];
                var slice = new double[outs];
                for (var o = 0; o < nextOuts; o++)
                {
                    for (var c = 0; c < outs; c++)
                    {
                        slice[c] += SumSquares(next.AsSpan(((o * outs) + c) * nextK, nextK));
                    }
                }

                for (var c = 0; c < outs; c++)
                {
                    scores[c] *= Math.Sqrt(slice[c]);
                }
            }

            conv[i] = scores;
            inChannels = outs;
        }

        int h = config.HiddenSize, d = h / config.NumAttentionHeads, f = config.IntermediateSize;
        var heads = new double[config.NumHiddenLayers][];
        var ffn = new double[config.NumHiddenLayers][];
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            var prefix = $"encoder.layers.{l}.";
            var v = W(prefix + "attention.v_proj.weight");
            var o = W(prefix + "attention.out_proj.weight");
            heads[l] = Enumerable.Range(0, config.NumAttentionHeads)
                .Select(head => Norm(v.AsSpan(head * d * h, d * h)) * Math.Sqrt(ColumnSumSquares(o, h, h, head * d, d))).ToArray();
            var fc1 = W(prefix + "feed_forward.intermediate_dense.weight");
            var fc2 = W(prefix + "feed_forward.output_dense.weight");
            ffn[l] = Enumerable.Range(0, f).Select(j => Norm(fc1.AsSpan(j * h, h)) * Math.Sqrt(ColumnSumSquares(fc2, h, f, j, 1))).ToArray();
        }

        return new Importances(conv, heads, ffn);
    }

    private static double Norm(ReadOnlySpan<float> values) => Math.Sqrt(SumSquares(values));

    private static double SumSquares(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var x in values)
        {
            sum += (double)x * x;
        }

        return sum;
    }

    private static double ColumnSumSquares(float[] matrix, int rows, int cols, int start, int count)
    {
        double sum = 0;
        for (var r = 0; r < rows; r++)
        {
            sum += SumSquares(matrix.AsSpan((r * cols) + start, count));
        }

        return sum;
    }
}
