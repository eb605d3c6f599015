using S3Router.Core.Ctc;
using S3Router.Core.Errors;

namespace S3Router.InferenceService.Inference.Heads;

/// <summary>
/// The CTC head of a route (docs/formats.md, "Route heads"): per-frame logits <c>h[t] · Wᵀ + b</c> over the vocabulary,
/// log-softmax, then greedy or prefix beam decoding. Labels: index 0 is the blank, <c>|</c> (or a space) separates
/// words, every other label is text.
/// </summary>
internal sealed class CtcHead
{
    /// <summary>The word boundary label (fairseq's letter convention).</summary>
    public const string WordBoundary = "|";

    // Views of the route's bundle bytes (MaskBundle.ReadInPlace), or arrays: read-only either way.
    private readonly ReadOnlyMemory<float> _weight; // [V, H]
    private readonly ReadOnlyMemory<float> _bias;   // [V]
    private readonly IReadOnlyList<string> _labels;
    private readonly int _hidden;
    private readonly TimeSpan _frameHop;

    /// <summary>Creates the head; <paramref name="weight"/> is [labels, hidden] row-major.</summary>
    public CtcHead(ReadOnlyMemory<float> weight, ReadOnlyMemory<float> bias, IReadOnlyList<string> labels, int hidden, TimeSpan frameHop)
    {
        if (labels.Count < 2 || weight.Length != labels.Count * hidden || bias.Length != labels.Count)
        {
            throw new FailedPreconditionException(
                $"The CTC head needs head.proj.weight [{labels.Count}, {hidden}] and head.proj.bias [{labels.Count}] for {labels.Count} labels (blank included).");
        }

        _weight = weight;
        _bias = bias;
        _labels = labels;
        _hidden = hidden;
        _frameHop = frameHop;
    }

    /// <summary>Vocabulary size, blank included.</summary>
    public int LabelCount => _labels.Count;

    /// <summary>
    /// Decodes one utterance's hidden states [frames, hidden]. A beam width of 1 or less with one alternative is greedy;
    /// asking for several alternatives searches with a beam at least that wide. When the backbone dropped tokens,
    /// <paramref name="frameIndex"/> gives each row's original frame, so word times stay in the audio's time base.
    /// </summary>
    public IReadOnlyList<RecognitionAlternative> Decode(float[,] hidden, int beamWidth, int maxAlternatives, IReadOnlyList<int>? frameIndex = null)
    {
        var logProbs = LogProbabilities(hidden);
        maxAlternatives = Math.Max(1, maxAlternatives);
        var hypotheses = beamWidth <= 1 && maxAlternatives == 1
            ? [CtcDecoder.Greedy(logProbs)]
            : CtcDecoder.BeamSearch(logProbs, Math.Max(beamWidth, maxAlternatives), maxAlternatives);
        return hypotheses.Select(h => ToAlternative(h, frameIndex)).ToList();
    }

    /// <summary>Per-frame log posteriors [frames, labels] of hidden states [frames, hidden].</summary>
    public float[,] LogProbabilities(float[,] hidden) =>
        CtcDecoder.LogSoftmax(Linear.Apply(hidden, _weight.Span, _bias.Span, _labels.Count, _hidden));

    /// <summary>
    /// Turns label ids into a transcript and words; a word spans its first token's start to its last token's end frame,
    /// mapped through <paramref name="frameIndex"/> (row to original frame) when frames were dropped.
    /// </summary>
    public RecognitionAlternative ToAlternative(CtcHypothesis hypothesis, IReadOnlyList<int>? frameIndex = null)
    {
        var words = new List<RecognizedWord>();
        var text = new System.Text.StringBuilder();
        int start = -1, end = -1;
        foreach (var token in hypothesis.Tokens)
        {
            var label = _labels[token.Label];
            if (label is WordBoundary or " ")
            {
                Flush();
                continue;
            }

            if (start < 0)
            {
                start = token.StartFrame;
            }

            end = token.EndFrame;
            text.Append(label);
        }

        Flush();
        return new RecognitionAlternative(string.Join(' ', words.Select(w => w.Word)), hypothesis.Confidence, words);

        void Flush()
        {
            if (text.Length > 0)
            {
                words.Add(new RecognizedWord(text.ToString(), _frameHop * Original(start), _frameHop * (Original(end) + 1)));
                text.Clear();
            }

            start = -1;
        }

        int Original(int row) => frameIndex is null ? row : frameIndex[row];
    }
}
