using S3Router.Core.Ctc;
using S3Router.Core.Masks;
using S3Router.TrainingService.Training.Metrics;

namespace S3Router.Bench;

/// <summary>A route's CTC head (<c>head.proj</c>, [V, H] and [V]) with greedy decoding of backbone frames.</summary>
internal sealed class CtcHeadWeights
{
    private readonly float[] _weight;
    private readonly float[] _bias;
    private readonly IReadOnlyList<string> _labels;

    private CtcHeadWeights(float[] weight, float[] bias, IReadOnlyList<string> labels)
    {
        (_weight, _bias, _labels) = (weight, bias, labels);
    }

    public static CtcHeadWeights From(MaskBundle bundle) => new(
        bundle.Heads.Single(h => h.Name == "head.proj.weight").Values.ToArray(),
        bundle.Heads.Single(h => h.Name == "head.proj.bias").Values.ToArray(),
        bundle.Labels);

    /// <summary>Text of the best path over <paramref name="hidden"/> [frames, H], as the training evaluation decodes.</summary>
    public string Greedy(float[,] hidden)
    {
        int frames = hidden.GetLength(0), width = hidden.GetLength(1), vocabulary = _bias.Length;
        var logits = new float[frames, vocabulary];
        for (var t = 0; t < frames; t++)
        {
            for (var v = 0; v < vocabulary; v++)
            {
                var score = _bias[v];
                for (var k = 0; k < width; k++)
                {
                    score += _weight[(v * width) + k] * hidden[t, k];
                }

                logits[t, v] = score;
            }
        }

        return CtcText.ToText(CtcDecoder.Greedy(logits), _labels);
    }
}
