namespace S3Router.Core.Ctc;

/// <summary>
/// CTC decoding of per-frame log posteriors [frames, vocabulary] with the blank at index 0.
/// Confidence: greedy = mean of the per-frame max posteriors over the frames whose best label is not blank (all
/// frames when every frame is blank); beam = the per-frame geometric mean of the prefix probability,
/// <c>exp(log P(prefix) / frames)</c>, so alternatives keep their beam order.
/// Reference: Hannun et al. 2014, "First-Pass Large Vocabulary Continuous Speech Recognition using Bi-Directional
/// Recurrent DNNs" (prefix beam search).
/// </summary>
public static class CtcDecoder
{
    /// <summary>The blank label's index.</summary>
    public const int Blank = 0;

    /// <summary>Best path: argmax per frame, repeats collapsed, blanks dropped.</summary>
    public static CtcHypothesis Greedy(float[,] logProbs)
    {
        var frames = logProbs.GetLength(0);
        var vocabulary = logProbs.GetLength(1);
        var tokens = new List<CtcToken>();
        var previous = -1;
        double logProbability = 0, nonBlankSum = 0, allSum = 0;
        var nonBlankFrames = 0;
        for (var t = 0; t < frames; t++)
        {
            var best = 0;
            for (var v = 1; v < vocabulary; v++)
            {
                if (logProbs[t, v] > logProbs[t, best])
                {
                    best = v;
                }
            }

            var max = logProbs[t, best];
            logProbability += max;
            allSum += Math.Exp(max);
            if (best != Blank)
            {
                nonBlankSum += Math.Exp(max);
                nonBlankFrames++;
                if (best == previous)
                {
                    tokens[^1] = tokens[^1] with { EndFrame = t };
                }
                else
                {
                    tokens.Add(new CtcToken(best, t, t));
                }
            }

            previous = best;
        }

        var confidence = nonBlankFrames > 0 ? nonBlankSum / nonBlankFrames : frames > 0 ? allSum / frames : 0;
        return new CtcHypothesis(tokens, logProbability, (float)Math.Clamp(confidence, 0, 1));
    }

    /// <summary>
    /// Prefix beam search keeping <paramref name="beamWidth"/> prefixes per frame; returns up to
    /// <paramref name="nBest"/> hypotheses, most probable first. A token's frames are those of its first emission.
    /// </summary>
    public static IReadOnlyList<CtcHypothesis> BeamSearch(float[,] logProbs, int beamWidth, int nBest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(beamWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nBest, 1);
        var frames = logProbs.GetLength(0);
        var vocabulary = logProbs.GetLength(1);
        var root = new Prefix(null, -1);
        var beams = new Dictionary<Prefix, Scores> { [root] = new(0, double.NegativeInfinity, null) };
        for (var t = 0; t < frames; t++)
        {
            var next = new Dictionary<Prefix, Scores>();
            foreach (var (prefix, scores) in beams)
            {
                var total = scores.Total;
                Add(next, prefix, total + logProbs[t, Blank], double.NegativeInfinity, scores.Trail);
                for (var v = 1; v < vocabulary; v++)
                {
                    var p = logProbs[t, v];
                    var child = prefix.Child(v);
                    // A prefix already in the beam keeps the frames of its first emission.
                    var childTrail = beams.TryGetValue(child, out var existing) ? existing.Trail : new FrameTrail(t, scores.Trail);
                    if (v == prefix.Label)
                    {
                        // The same label again needs a blank in between to start a new token; without one it collapses.
                        Add(next, child, double.NegativeInfinity, scores.Blank + p, childTrail);
                        Add(next, prefix, double.NegativeInfinity, scores.NonBlank + p, scores.Trail);
                    }
                    else
                    {
                        Add(next, child, double.NegativeInfinity, total + p, childTrail);
                    }
                }
            }

            beams = next.OrderByDescending(kv => kv.Value.Total).Take(beamWidth).ToDictionary();
        }

        return beams.OrderByDescending(kv => kv.Value.Total)
            .Take(nBest)
            .Select(kv => new CtcHypothesis(
                Tokens(kv.Key, kv.Value.Trail),
                kv.Value.Total,
                frames == 0 ? 0f : (float)Math.Clamp(Math.Exp(kv.Value.Total / frames), 0, 1)))
            .ToList();
    }

    /// <summary>Natural-log softmax of each row of <paramref name="logits"/> [frames, vocabulary].</summary>
    public static float[,] LogSoftmax(float[,] logits)
    {
        var rows = logits.GetLength(0);
        var cols = logits.GetLength(1);
        var result = new float[rows, cols];
        for (var t = 0; t < rows; t++)
        {
            var max = float.NegativeInfinity;
            for (var v = 0; v < cols; v++)
            {
                max = Math.Max(max, logits[t, v]);
            }

            double sum = 0;
            for (var v = 0; v < cols; v++)
            {
                sum += Math.Exp(logits[t, v] - max);
            }

            var logSum = max + Math.Log(sum);
            for (var v = 0; v < cols; v++)
            {
                result[t, v] = (float)(logits[t, v] - logSum);
            }
        }

        return result;
    }

    private static void Add(Dictionary<Prefix, Scores> beams, Prefix prefix, double blank, double nonBlank, FrameTrail? trail)
    {
        if (double.IsNegativeInfinity(blank) && double.IsNegativeInfinity(nonBlank))
        {
            return; // an impossible extension (a repeat without a blank) must not enter the beam
        }

        beams[prefix] = beams.TryGetValue(prefix, out var current)
            ? new Scores(LogAdd(current.Blank, blank), LogAdd(current.NonBlank, nonBlank), current.Trail)
            : new Scores(blank, nonBlank, trail);
    }

    private static List<CtcToken> Tokens(Prefix prefix, FrameTrail? trail)
    {
        var tokens = new List<CtcToken>();
        for (var node = prefix; node.Parent is not null && trail is not null; node = node.Parent, trail = trail.Previous)
        {
            tokens.Add(new CtcToken(node.Label, trail.Frame, trail.Frame));
        }

        tokens.Reverse();
        return tokens;
    }

    private static double LogAdd(double a, double b)
    {
        if (double.IsNegativeInfinity(a))
        {
            return b;
        }

        if (double.IsNegativeInfinity(b))
        {
            return a;
        }

        var max = Math.Max(a, b);
        return max + Math.Log(Math.Exp(a - max) + Math.Exp(b - max));
    }

    /// <summary>Log probabilities of a prefix ending in blank and ending in its last label, and its tokens' frames.</summary>
    private readonly record struct Scores(double Blank, double NonBlank, FrameTrail? Trail)
    {
        public double Total => LogAdd(Blank, NonBlank);
    }

    /// <summary>The emission frame of each token of a prefix, last token first.</summary>
    private sealed record FrameTrail(int Frame, FrameTrail? Previous);

    /// <summary>A node of the prefix trie: equal label sequences are the same object, so they merge in dictionaries.</summary>
    private sealed class Prefix(Prefix? parent, int label)
    {
        private Dictionary<int, Prefix>? _children;

        public Prefix? Parent { get; } = parent;

        public int Label { get; } = label;

        public Prefix Child(int childLabel)
        {
            _children ??= [];
            if (!_children.TryGetValue(childLabel, out var child))
            {
                child = new Prefix(this, childLabel);
                _children[childLabel] = child;
            }

            return child;
        }
    }
}
