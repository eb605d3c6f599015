namespace S3Router.TrainingService.Training.Metrics;

/// <summary>
/// Turns per-frame CTC scores into label sequences and text, per docs/formats.md: index 0 is the blank, repeats
/// collapse, <c>|</c> is the word boundary. Greedy (best path) and a prefix beam search without a language model.
/// Reference: Hannun et al., "First-Pass Large Vocabulary Continuous Speech Recognition using Bi-Directional
/// Recurrent DNNs" (arXiv:1408.2873), section on CTC prefix beam search.
/// </summary>
internal static class CtcDecoder
{
    public const int Blank = 0;

    /// <summary>Best path: argmax per frame, collapse repeats, drop blanks. logits: [frames, vocabulary], row-major.</summary>
    public static int[] Greedy(ReadOnlySpan<float> logits, int frames, int vocabulary)
    {
        var result = new List<int>();
        var previous = -1;
        for (var t = 0; t < frames; t++)
        {
            var row = logits.Slice(t * vocabulary, vocabulary);
            var best = 0;
            for (var v = 1; v < vocabulary; v++)
            {
                if (row[v] > row[best])
                {
                    best = v;
                }
            }

            if (best != previous && best != Blank)
            {
                result.Add(best);
            }

            previous = best;
        }

        return [.. result];
    }

    /// <summary>
    /// Prefix beam search over log-probabilities [frames, vocabulary] (row-major, log-softmax already applied),
    /// keeping <paramref name="beamWidth"/> prefixes; returns the most probable label sequence.
    /// </summary>
    public static int[] BeamSearch(ReadOnlySpan<float> logProbs, int frames, int vocabulary, int beamWidth)
    {
        // Each prefix keeps log P(prefix, path ends in blank) and log P(prefix, path ends in its last label).
        var beams = new Dictionary<string, Beam>(StringComparer.Ordinal) { [string.Empty] = new Beam([], 0, double.NegativeInfinity) };
        for (var t = 0; t < frames; t++)
        {
            var row = logProbs.Slice(t * vocabulary, vocabulary);
            var next = new Dictionary<string, Beam>(StringComparer.Ordinal);
            foreach (var beam in beams.Values)
            {
                var total = LogAdd(beam.Blank, beam.NonBlank);
                var last = beam.Labels.Length == 0 ? -1 : beam.Labels[^1];
                for (var v = 0; v < vocabulary; v++)
                {
                    var p = (double)row[v];
                    if (v == Blank)
                    {
                        Accumulate(next, beam.Labels, blank: total + p, nonBlank: double.NegativeInfinity);
                        continue;
                    }

                    int[] extended = [.. beam.Labels, v];
                    if (v == last)
                    {
                        // A repeat extends only across a blank; without one it collapses into the same prefix.
                        Accumulate(next, extended, double.NegativeInfinity, beam.Blank + p);
                        Accumulate(next, beam.Labels, double.NegativeInfinity, beam.NonBlank + p);
                    }
                    else
                    {
                        Accumulate(next, extended, double.NegativeInfinity, total + p);
                    }
                }
            }

            beams = next.Values
                .OrderByDescending(b => LogAdd(b.Blank, b.NonBlank))
                .ThenBy(b => Key(b.Labels), StringComparer.Ordinal)
                .Take(beamWidth)
                .ToDictionary(b => Key(b.Labels), StringComparer.Ordinal);
        }

        return beams.Values.OrderByDescending(b => LogAdd(b.Blank, b.NonBlank)).First().Labels;
    }

    /// <summary>Label sequence to text: <c>|</c> becomes a space, whitespace runs collapse, ends are trimmed.</summary>
    public static string ToText(IEnumerable<int> labels, IReadOnlyList<string> vocabulary) =>
        TokensToText(labels.Where(l => l > 0 && l < vocabulary.Count).Select(l => vocabulary[l]));

    /// <summary>Letter tokens (fairseq <c>.ltr</c> style) to text: <c>|</c> becomes a space.</summary>
    public static string TokensToText(IEnumerable<string> tokens) =>
        string.Join(' ', string.Concat(tokens.Select(t => t == "|" ? " " : t))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static void Accumulate(Dictionary<string, Beam> beams, int[] labels, double blank, double nonBlank)
    {
        var key = Key(labels);
        beams[key] = beams.TryGetValue(key, out var existing)
            ? existing with { Blank = LogAdd(existing.Blank, blank), NonBlank = LogAdd(existing.NonBlank, nonBlank) }
            : new Beam(labels, blank, nonBlank);
    }

    private static string Key(int[] labels) => string.Join(',', labels);

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

    private sealed record Beam(int[] Labels, double Blank, double NonBlank);
}
