namespace S3Router.InferenceService.Inference.Heads;

/// <summary>Dense layers of the heads, in plain C# (heads are tiny next to the backbone).</summary>
internal static class Linear
{
    /// <summary>y[t] = x[t] · Wᵀ + b. x [rows, inputs], W [outputs, inputs] row-major, b [outputs] -> [rows, outputs].</summary>
    public static float[,] Apply(float[,] x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int outputs, int inputs)
    {
        var rows = x.GetLength(0);
        if (x.GetLength(1) != inputs)
        {
            throw new ArgumentException($"Expected hidden states [frames, {inputs}], found [{rows}, {x.GetLength(1)}].", nameof(x));
        }

        var y = new float[rows, outputs];
        for (var t = 0; t < rows; t++)
        {
            for (var o = 0; o < outputs; o++)
            {
                double sum = bias[o];
                var offset = o * inputs;
                for (var i = 0; i < inputs; i++)
                {
                    sum += x[t, i] * weight[offset + i];
                }

                y[t, o] = (float)sum;
            }
        }

        return y;
    }

    /// <summary>Softmax of a vector, computed in double for stability.</summary>
    public static float[] Softmax(ReadOnlySpan<double> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var v in logits)
        {
            max = Math.Max(max, v);
        }

        var result = new float[logits.Length];
        double sum = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            sum += Math.Exp(logits[i] - max);
        }

        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = (float)(Math.Exp(logits[i] - max) / sum);
        }

        return result;
    }
}
