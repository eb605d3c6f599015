using S3Router.Core.Ctc;

namespace S3Router.InferenceService.Inference.Heads;

/// <summary>
/// Greedy CTC decoding fed piece by piece (streaming interim results): each <see cref="Append"/> continues the best path
/// where the previous piece stopped, collapsing a label repeated across the seam, so appending an utterance's log
/// posteriors in any pieces gives exactly <see cref="CtcDecoder.Greedy"/> of the whole.
/// </summary>
internal sealed class CtcGreedyStream
{
    private readonly List<CtcToken> _tokens = [];
    private int _previous = -1;
    private int _frames;
    private int _nonBlankFrames;
    private double _logProbability;
    private double _nonBlankSum;
    private double _allSum;

    /// <summary>Absolute index of the next frame expected (frames before it were decoded already).</summary>
    public int NextFrame { get; private set; }

    /// <summary>
    /// Decodes the rows of <paramref name="logProbs"/> [rows, labels], whose row 0 is absolute
    /// frame <paramref name="firstFrame"/>; rows before <see cref="NextFrame"/> are skipped.
    /// </summary>
    public void Append(float[,] logProbs, int firstFrame)
    {
        var rows = logProbs.GetLength(0);
        var vocabulary = logProbs.GetLength(1);
        for (var row = Math.Max(0, NextFrame - firstFrame); row < rows; row++)
        {
            var t = firstFrame + row;
            var best = 0;
            for (var v = 1; v < vocabulary; v++)
            {
                if (logProbs[row, v] > logProbs[row, best])
                {
                    best = v;
                }
            }

            var max = logProbs[row, best];
            _logProbability += max;
            _allSum += Math.Exp(max);
            _frames++;
            if (best != CtcDecoder.Blank)
            {
                _nonBlankSum += Math.Exp(max);
                _nonBlankFrames++;
                if (best == _previous)
                {
                    _tokens[^1] = _tokens[^1] with { EndFrame = t };
                }
                else
                {
                    _tokens.Add(new CtcToken(best, t, t));
                }
            }

            _previous = best;
            NextFrame = t + 1;
        }
    }

    /// <summary>The best path so far, with the greedy confidence of <see cref="CtcDecoder"/>.</summary>
    public CtcHypothesis Hypothesis()
    {
        var confidence = _nonBlankFrames > 0 ? _nonBlankSum / _nonBlankFrames : _frames > 0 ? _allSum / _frames : 0;
        return new CtcHypothesis(_tokens.ToList(), _logProbability, (float)Math.Clamp(confidence, 0, 1));
    }
}
