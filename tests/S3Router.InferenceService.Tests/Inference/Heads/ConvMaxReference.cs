namespace S3Router.InferenceService.Tests.Inference.Heads;

/// <summary>The conv-max head of docs/formats.md ("Route heads", steps 1 to 4) written out in double, as the tests' oracle.</summary>
internal static class ConvMaxReference
{
    /// <summary>p [C_out] of all-states features <paramref name="x"/> [frames, W] with hidden states 0..L in the last (L+1)·H columns.</summary>
    public static double[] Pooled(IReadOnlyDictionary<string, float[]> p, float[,] x, int hidden, int layers, int channels, int kernel)
    {
        var (frames, width) = (x.GetLength(0), x.GetLength(1));
        var offset = width - ((layers + 1) * hidden);
        var logits = p["head.layer_logits"];
        var exp = logits.Select(v => Math.Exp(v - logits.Max())).ToArray();
        var n = new double[frames, hidden];
        for (var t = 0; t < frames; t++)
        {
            var s = new double[hidden];
            for (var l = 0; l <= layers; l++)
            {
                for (var i = 0; i < hidden; i++)
                {
                    s[i] += exp[l] / exp.Sum() * x[t, offset + (l * hidden) + i];
                }
            }

            var mean = s.Average();
            var variance = s.Select(v => (v - mean) * (v - mean)).Average();
            for (var i = 0; i < hidden; i++)
            {
                n[t, i] = ((s[i] - mean) / Math.Sqrt(variance + 1e-5) * p["head.norm.weight"][i]) + p["head.norm.bias"][i];
            }
        }

        var pooled = new double[channels];
        for (var o = 0; o < channels; o++)
        {
            pooled[o] = double.NegativeInfinity;
            for (var t = 0; t < frames; t++)
            {
                double c = p["head.conv.bias"][o];
                for (var k = 0; k < kernel; k++)
                {
                    var source = t + k - ((kernel - 1) / 2); // n is zero outside [0, frames)
                    for (var i = 0; source >= 0 && source < frames && i < hidden; i++)
                    {
                        c += p["head.conv.weight"][(((o * hidden) + i) * kernel) + k] * n[source, i];
                    }
                }

                pooled[o] = Math.Max(pooled[o], Math.Max(0, c));
            }
        }

        return pooled;
    }

    /// <summary>softmax(proj.weight · p + proj.bias).</summary>
    public static double[] Probabilities(IReadOnlyDictionary<string, float[]> p, double[] pooled)
    {
        var bias = p["head.proj.bias"];
        var weight = p["head.proj.weight"];
        var logits = bias.Select((b, c) => b + pooled.Select((v, o) => v * weight[(c * pooled.Length) + o]).Sum()).ToArray();
        var exp = logits.Select(l => Math.Exp(l - logits.Max())).ToArray();
        return [.. exp.Select(e => e / exp.Sum())];
    }
}
