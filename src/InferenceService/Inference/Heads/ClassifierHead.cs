using S3Router.Core.Errors;

namespace S3Router.InferenceService.Inference.Heads;

/// <summary>
/// The classifier head of a route (docs/formats.md, "Route heads"): mean pooling over the valid frames, or attentive
/// pooling <c>a = softmax_t(h[t] · w + b)</c> when the bundle has <c>head.attention.*</c>; then
/// <c>softmax(W · pooled + b)</c> over the class names.
/// </summary>
internal sealed class ClassifierHead
{
    private readonly float[] _weight; // [C, H]
    private readonly float[] _bias;   // [C]
    private readonly float[]? _attentionWeight; // [1, H]
    private readonly float _attentionBias;
    private readonly IReadOnlyList<string> _labels;
    private readonly int _hidden;

    /// <summary>Creates the head; attentive pooling when <paramref name="attentionWeight"/> is given.</summary>
    public ClassifierHead(float[] weight, float[] bias, float[]? attentionWeight, float attentionBias, IReadOnlyList<string> labels, int hidden)
    {
        if (labels.Count < 1 || weight.Length != labels.Count * hidden || bias.Length != labels.Count
            || (attentionWeight is not null && attentionWeight.Length != hidden))
        {
            throw new FailedPreconditionException(
                $"The classifier head needs head.proj.weight [{labels.Count}, {hidden}], head.proj.bias [{labels.Count}] and optionally head.attention.weight [1, {hidden}].");
        }

        _weight = weight;
        _bias = bias;
        _attentionWeight = attentionWeight;
        _attentionBias = attentionBias;
        _labels = labels;
        _hidden = hidden;
    }

    /// <summary>Number of classes.</summary>
    public int LabelCount => _labels.Count;

    /// <summary>The pooled utterance vector [hidden] of hidden states [frames, hidden].</summary>
    public double[] Pool(float[,] hidden)
    {
        var frames = hidden.GetLength(0);
        if (frames == 0 || hidden.GetLength(1) != _hidden)
        {
            throw new InvalidInputException($"The audio is too short to classify ({frames} frames).", "audio");
        }

        var weights = new double[frames];
        if (_attentionWeight is null)
        {
            Array.Fill(weights, 1.0 / frames);
        }
        else
        {
            var scores = new double[frames];
            for (var t = 0; t < frames; t++)
            {
                double s = _attentionBias;
                for (var i = 0; i < _hidden; i++)
                {
                    s += hidden[t, i] * _attentionWeight[i];
                }

                scores[t] = s;
            }

            var softmax = Linear.Softmax(scores);
            for (var t = 0; t < frames; t++)
            {
                weights[t] = softmax[t];
            }
        }

        var pooled = new double[_hidden];
        for (var t = 0; t < frames; t++)
        {
            for (var i = 0; i < _hidden; i++)
            {
                pooled[i] += weights[t] * hidden[t, i];
            }
        }

        return pooled;
    }

    /// <summary>The <paramref name="top"/> most probable classes (at least 1), highest first; ties keep class order.</summary>
    public IReadOnlyList<ClassProbability> Classify(float[,] hidden, int top)
    {
        var pooled = Pool(hidden);
        var logits = new double[_labels.Count];
        for (var c = 0; c < logits.Length; c++)
        {
            double s = _bias[c];
            for (var i = 0; i < _hidden; i++)
            {
                s += _weight[(c * _hidden) + i] * pooled[i];
            }

            logits[c] = s;
        }

        var probabilities = Linear.Softmax(logits);
        return Enumerable.Range(0, probabilities.Length)
            .OrderByDescending(c => probabilities[c])
            .Take(Math.Max(1, top))
            .Select(c => new ClassProbability(_labels[c], probabilities[c]))
            .ToList();
    }
}
