using System.Buffers;
using System.Numerics.Tensors;
using S3Router.Core.Errors;

namespace S3Router.InferenceService.Inference.Heads;

/// <summary>
/// The classifier head of a route (docs/formats.md, "Route heads"): mean pooling over the valid frames, or attentive
/// pooling <c>a = softmax_t(h[t] · w + b)</c> when the bundle has <c>head.attention.*</c>; then
/// <c>softmax(W · pooled + b)</c> over the class names. Statistics pooling (<see cref="Statistics"/>, the bundle has
/// <c>head.norm.mean</c>) reads the all-states features x[t] (width W) instead: pooled <c>f = [mean_t x | std_t x]</c>
/// (population std), normalised <c>z = (f - norm.mean) / norm.std</c>, then <c>softmax(W · z + b)</c>. Conv-max pooling
/// (<see cref="ConvMax"/>, the bundle has <c>head.layer_logits</c>) reads the all-states features too: <c>p</c> of
/// <see cref="ConvMaxPooling"/>, then <c>softmax(W · p + b)</c>. An ensemble (<see cref="Ensemble"/>, the bundle has
/// <c>head.members.{k}.*</c>) answers with the mean of its members' class probabilities.
/// </summary>
internal sealed class ClassifierHead
{
    /// <summary>Bundle tensor whose presence means statistics pooling: [D], D = 2 · W.</summary>
    public const string NormMeanTensor = "head.norm.mean";

    /// <summary>Bundle tensor of statistics pooling: [D], every value &gt; 0.</summary>
    public const string NormStdTensor = "head.norm.std";

    // Views of the route's bundle bytes (MaskBundle.ReadInPlace), or arrays: read-only either way.
    private readonly ReadOnlyMemory<float> _weight; // [C, H] (statistics: [C, 2W])
    private readonly ReadOnlyMemory<float> _bias;   // [C]
    private readonly ReadOnlyMemory<float>? _attentionWeight; // [1, H]
    private readonly float _attentionBias;
    private readonly ReadOnlyMemory<float>? _normMean; // [2W]
    private readonly ReadOnlyMemory<float>? _normStd;  // [2W]
    private readonly ConvMaxPooling? _convMax;
    private readonly IReadOnlyList<ClassifierHead>? _members;
    private readonly IReadOnlyList<string> _labels;
    private readonly int _hidden; // width of an input frame: H, or W for statistics pooling
    private readonly int _pooled; // width of the pooled vector: H, or 2W

    /// <summary>Creates the head; attentive pooling when <paramref name="attentionWeight"/> is given.</summary>
    public ClassifierHead(ReadOnlyMemory<float> weight, ReadOnlyMemory<float> bias, ReadOnlyMemory<float>? attentionWeight, float attentionBias, IReadOnlyList<string> labels, int hidden)
    {
        if (labels.Count < 1 || weight.Length != labels.Count * hidden || bias.Length != labels.Count
            || (attentionWeight is { } attention && attention.Length != hidden))
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
        _pooled = hidden;
    }

    private ClassifierHead(ReadOnlyMemory<float> weight, ReadOnlyMemory<float> bias, ReadOnlyMemory<float> normMean, ReadOnlyMemory<float> normStd, IReadOnlyList<string> labels, int width)
    {
        _weight = weight;
        _bias = bias;
        _normMean = normMean;
        _normStd = normStd;
        _labels = labels;
        _hidden = width;
        _pooled = 2 * width;
    }

    private ClassifierHead(ReadOnlyMemory<float> weight, ReadOnlyMemory<float> bias, ConvMaxPooling convMax, IReadOnlyList<string> labels)
    {
        _weight = weight;
        _bias = bias;
        _convMax = convMax;
        _labels = labels;
        _hidden = convMax.InputWidth;
        _pooled = convMax.Channels;
    }

    private ClassifierHead(IReadOnlyList<ClassifierHead> members)
    {
        _members = members;
        _labels = members[0]._labels;
        _hidden = members[0]._hidden;
    }

    /// <summary>Number of classes.</summary>
    public int LabelCount => _labels.Count;

    /// <summary>Whether the head pools statistics of the all-states features (input [frames, W]) rather than the last hidden state.</summary>
    public bool PoolsStatistics => _normMean is not null;

    /// <summary>Whether the head reads the all-states features [frames, W] (statistics and conv-max pooling) rather than the last hidden state.</summary>
    public bool ReadsAllStates => _members is { } members ? members[0].ReadsAllStates : _normMean is not null || _convMax is not null;

    /// <summary>Heads whose class probabilities are averaged: the members of an ensemble, 1 for a single head.</summary>
    public int MemberCount => _members?.Count ?? 1;

    /// <summary>
    /// An ensemble of ≥ 2 heads over the same labels and input: the class probabilities are the mean of the members'.
    /// </summary>
    /// <exception cref="FailedPreconditionException">Fewer than two members, or members with other labels or input widths.</exception>
    public static ClassifierHead Ensemble(IReadOnlyList<ClassifierHead> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count < 2)
        {
            throw new FailedPreconditionException($"An ensemble head needs at least two members; found {members.Count}.");
        }

        var first = members[0];
        for (var k = 1; k < members.Count; k++)
        {
            if (!members[k]._labels.SequenceEqual(first._labels) || members[k]._hidden != first._hidden || members[k].ReadsAllStates != first.ReadsAllStates)
            {
                throw new FailedPreconditionException($"Member {k} of the ensemble head reads another input or has other labels than member 0.");
            }
        }

        return new ClassifierHead(members);
    }

    /// <summary>
    /// A conv-max head: <paramref name="pooling"/> (C_out channels) then <paramref name="weight"/> [C, C_out] and
    /// <paramref name="bias"/> [C].
    /// </summary>
    /// <exception cref="FailedPreconditionException">head.proj.weight or head.proj.bias has the wrong size.</exception>
    public static ClassifierHead ConvMax(ReadOnlyMemory<float> weight, ReadOnlyMemory<float> bias, ConvMaxPooling pooling, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(pooling);
        if (labels.Count < 1 || weight.Length != labels.Count * pooling.Channels || bias.Length != labels.Count)
        {
            throw new FailedPreconditionException(
                $"The conv_max head needs head.proj.weight [{labels.Count}, {pooling.Channels}] and head.proj.bias [{labels.Count}]; found {weight.Length} and {bias.Length} values.");
        }

        return new ClassifierHead(weight, bias, pooling, labels);
    }

    /// <summary>
    /// A statistics-pooling head over all-states features of <paramref name="width"/> W per frame: <paramref name="normMean"/>
    /// and <paramref name="normStd"/> [2W] (std all &gt; 0), <paramref name="weight"/> [C, 2W], <paramref name="bias"/> [C].
    /// </summary>
    /// <exception cref="FailedPreconditionException">A tensor has the wrong size (naming it and D) or a std value ≤ 0.</exception>
    public static ClassifierHead Statistics(
        ReadOnlyMemory<float> weight, ReadOnlyMemory<float> bias, ReadOnlyMemory<float> normMean, ReadOnlyMemory<float> normStd, IReadOnlyList<string> labels, int width)
    {
        var d = 2 * width;
        if (normMean.Length != d)
        {
            throw new FailedPreconditionException(
                $"{NormMeanTensor} has {normMean.Length} values; statistics pooling over this backbone needs D = 2 · {width} = {d} (docs/formats.md, route heads).");
        }

        if (normStd.Length != d)
        {
            throw new FailedPreconditionException(
                $"{NormStdTensor} has {normStd.Length} values; statistics pooling over this backbone needs D = 2 · {width} = {d} (docs/formats.md, route heads).");
        }

        var std = normStd.Span;
        for (var i = 0; i < std.Length; i++)
        {
            if (!(std[i] > 0)) // NaN too
            {
                throw new FailedPreconditionException($"{NormStdTensor}[{i}] is {std[i]}; every value must be > 0.");
            }
        }

        if (labels.Count < 1 || weight.Length != labels.Count * d || bias.Length != labels.Count)
        {
            throw new FailedPreconditionException(
                $"The statistics-pooling head needs head.proj.weight [{labels.Count}, {d}] and head.proj.bias [{labels.Count}]; found {weight.Length} and {bias.Length} values.");
        }

        return new ClassifierHead(weight, bias, normMean, normStd, labels, width);
    }

    /// <summary>
    /// The pooled utterance vector of hidden states [frames, hidden]: [hidden] for mean and attentive pooling; for
    /// statistics pooling, of all-states features [frames, W], <c>[mean | std]</c> [2W] before normalisation.
    /// </summary>
    public double[] Pool(float[,] hidden)
    {
        if (_members is not null)
        {
            throw new InvalidOperationException("An ensemble head has one pooled vector per member, none of its own.");
        }

        var frames = hidden.GetLength(0);
        if (frames == 0 || hidden.GetLength(1) != _hidden)
        {
            throw new InvalidInputException($"The audio is too short to classify ({frames} frames).", "audio");
        }

        if (_normMean is not null)
        {
            return PoolStatistics(hidden);
        }

        if (_convMax is not null)
        {
            var p = new float[_pooled];
            _convMax.Pool(hidden, p);
            return Array.ConvertAll(p, v => (double)v);
        }

        var weights = new double[frames];
        if (_attentionWeight is not { } attentionMemory)
        {
            Array.Fill(weights, 1.0 / frames);
        }
        else
        {
            var attention = attentionMemory.Span;
            var scores = new double[frames];
            for (var t = 0; t < frames; t++)
            {
                double s = _attentionBias;
                for (var i = 0; i < _hidden; i++)
                {
                    s += hidden[t, i] * attention[i];
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

    /// <summary>
    /// The <paramref name="top"/> most probable classes (at least 1), highest first; ties keep class order.
    /// <paramref name="hidden"/>: [frames, hidden], or all-states features [frames, W] for statistics pooling.
    /// </summary>
    public IReadOnlyList<ClassProbability> Classify(float[,] hidden, int top)
    {
        if (_members is null)
        {
            return Ranked(Linear.Softmax(Logits(hidden)), top);
        }

        var sum = new double[_labels.Count];
        foreach (var member in _members)
        {
            var p = Linear.Softmax(member.Logits(hidden));
            for (var c = 0; c < p.Length; c++)
            {
                sum[c] += p[c];
            }
        }

        return Ranked(Array.ConvertAll(sum, s => (float)(s / _members.Count)), top);
    }

    private double[] Logits(float[,] hidden)
    {
        if (_convMax is not null)
        {
            return ConvMaxLogits(hidden);
        }

        var pooled = Pool(hidden);
        if (_normMean is { } normMean)
        {
            var mean = normMean.Span;
            var std = _normStd!.Value.Span;
            for (var i = 0; i < _pooled; i++)
            {
                pooled[i] = (pooled[i] - mean[i]) / std[i];
            }
        }

        var weight = _weight.Span;
        var bias = _bias.Span;
        var logits = new double[_labels.Count];
        for (var c = 0; c < logits.Length; c++)
        {
            double s = bias[c];
            for (var i = 0; i < _pooled; i++)
            {
                s += weight[(c * _pooled) + i] * pooled[i];
            }

            logits[c] = s;
        }

        return logits;
    }

    private IReadOnlyList<ClassProbability> Ranked(float[] probabilities, int top)
    {
        return Enumerable.Range(0, probabilities.Length)
            .OrderByDescending(c => probabilities[c])
            .Take(Math.Max(1, top))
            .Select(c => new ClassProbability(_labels[c], probabilities[c]))
            .ToList();
    }

    // W · p + b with p from the conv-max pooling, in a pooled buffer.
    private double[] ConvMaxLogits(float[,] states)
    {
        var frames = states.GetLength(0);
        if (frames == 0 || states.GetLength(1) != _hidden)
        {
            throw new InvalidInputException($"The audio is too short to classify ({frames} frames).", "audio");
        }

        var rented = ArrayPool<float>.Shared.Rent(_pooled);
        try
        {
            var p = rented.AsSpan(0, _pooled);
            _convMax!.Pool(states, p);
            var logits = new double[_labels.Count];
            var weight = _weight.Span;
            var bias = _bias.Span;
            for (var c = 0; c < logits.Length; c++)
            {
                logits[c] = bias[c] + (double)TensorPrimitives.Dot<float>(weight.Slice(c * _pooled, _pooled), p);
            }

            return logits;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    // f = [mean_t x | sqrt(mean_t (x - mean)^2)], two passes in double.
    private double[] PoolStatistics(float[,] x)
    {
        var frames = x.GetLength(0);
        var pooled = new double[_pooled];
        for (var t = 0; t < frames; t++)
        {
            for (var w = 0; w < _hidden; w++)
            {
                pooled[w] += x[t, w];
            }
        }

        for (var w = 0; w < _hidden; w++)
        {
            pooled[w] /= frames;
        }

        for (var t = 0; t < frames; t++)
        {
            for (var w = 0; w < _hidden; w++)
            {
                var d = x[t, w] - pooled[w];
                pooled[_hidden + w] += d * d;
            }
        }

        for (var w = 0; w < _hidden; w++)
        {
            pooled[_hidden + w] = Math.Sqrt(pooled[_hidden + w] / frames);
        }

        return pooled;
    }
}
