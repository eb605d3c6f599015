using System.Globalization;
using S3Router.Core.Errors;

namespace S3Router.TrainingService.Training.Scoring;

/// <summary>
/// The split's transcripts hold characters (or, for classifiers, classes) the route's labels lack: the route could
/// never output them, so its error rates would say more about the vocabulary than about the route.
/// </summary>
public sealed class VocabularyMismatchException : InvalidInputException
{
    /// <summary>Creates the error from the missing labels and how often each occurs.</summary>
    public VocabularyMismatchException(string split, IReadOnlyDictionary<string, int> missing, int affectedUtterances, int utterances)
        : base(Describe(split, missing, affectedUtterances, utterances), "split")
    {
        Missing = missing;
        AffectedUtterances = affectedUtterances;
    }

    /// <summary>Each missing character (or class) with its number of occurrences in the split.</summary>
    public IReadOnlyDictionary<string, int> Missing { get; }

    /// <summary>Utterances whose transcript holds at least one missing character.</summary>
    public int AffectedUtterances { get; }

    private static string Describe(string split, IReadOnlyDictionary<string, int> missing, int affected, int utterances)
    {
        const int Shown = 20;
        var listed = missing.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal).Take(Shown)
            .Select(m => string.Create(CultureInfo.InvariantCulture, $"'{m.Key}' (U+{Codepoints(m.Key)}) ×{m.Value}"));
        var more = missing.Count > Shown ? $", and {missing.Count - Shown} more" : "";
        return $"vocabulary mismatch: {affected} of {utterances} utterances of split '{split}' hold {missing.Count} label(s) " +
               $"the route's labels lack: {string.Join(", ", listed)}{more}. Score a manifest made with the route's " +
               "normalizer, or allow unknown labels (s3r train eval --allow-unknown) to count each of them as an error.";
    }

    private static string Codepoints(string text) =>
        string.Join("+", text.EnumerateRunes().Select(r => r.Value.ToString("X4", CultureInfo.InvariantCulture)));
}
