namespace S3Router.TrainingService.Training.Metrics;

/// <summary>
/// CTC labels to text, per docs/formats.md: index 0 is the blank, <c>|</c> is the word boundary. Decoding itself is
/// <see cref="S3Router.Core.Ctc.CtcDecoder"/>, the one the inference service serves with.
/// </summary>
internal static class CtcText
{
    /// <summary>Label sequence to text: <c>|</c> becomes a space, whitespace runs collapse, ends are trimmed.</summary>
    public static string ToText(IEnumerable<int> labels, IReadOnlyList<string> vocabulary) =>
        TokensToText(labels.Where(l => l > 0 && l < vocabulary.Count).Select(l => vocabulary[l]));

    /// <summary>A decoded hypothesis to text.</summary>
    public static string ToText(Core.Ctc.CtcHypothesis hypothesis, IReadOnlyList<string> vocabulary) =>
        ToText(hypothesis.Tokens.Select(t => t.Label), vocabulary);

    /// <summary>Letter tokens (fairseq <c>.ltr</c> style) to text: <c>|</c> becomes a space.</summary>
    public static string TokensToText(IEnumerable<string> tokens) =>
        string.Join(' ', string.Concat(tokens.Select(t => t == "|" ? " " : t))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
