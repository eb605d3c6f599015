namespace S3Router.TrainingService.Training.Metrics;

/// <summary>
/// Corpus-level character and word error rates: total edits over total reference units, summed over utterances
/// (not a mean of per-utterance rates). Characters include the spaces between words; whitespace runs count as one
/// space and leading/trailing whitespace is ignored.
/// </summary>
internal sealed class ErrorRateAccumulator
{
    private long _charEdits;
    private long _charCount;
    private long _wordEdits;
    private long _wordCount;

    /// <summary>Utterances added so far.</summary>
    public int Count { get; private set; }

    /// <summary>Character error rate (0 when no reference character was seen).</summary>
    public double CharacterErrorRate => _charCount == 0 ? 0 : (double)_charEdits / _charCount;

    /// <summary>Word error rate (0 when no reference word was seen).</summary>
    public double WordErrorRate => _wordCount == 0 ? 0 : (double)_wordEdits / _wordCount;

    /// <summary>The character error rate of one utterance (0 for an empty reference).</summary>
    public static double CharacterErrorRateOf(string reference, string hypothesis)
    {
        var single = new ErrorRateAccumulator();
        single.Add(reference, hypothesis);
        return single.CharacterErrorRate;
    }

    public void Add(string reference, string hypothesis)
    {
        var refWords = Words(reference);
        var hypWords = Words(hypothesis);
        var refChars = string.Join(' ', refWords).ToCharArray();
        var hypChars = string.Join(' ', hypWords).ToCharArray();
        _charEdits += EditDistance.Compute(refChars, hypChars);
        _charCount += refChars.Length;
        _wordEdits += EditDistance.Compute(refWords, hypWords);
        _wordCount += refWords.Length;
        Count++;
    }

    private static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}
