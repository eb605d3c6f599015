using System.Text;

namespace S3Router.TrainingService.Data;

/// <summary>
/// Turns a sentence into the character vocabulary of one language: lowercase letters of its alphabet, the
/// apostrophe inside words where the language uses it, and words joined by spaces. A sentence with digits,
/// letters outside the alphabet, symbols or acronyms is refused rather than guessed at.
/// </summary>
internal static class TextNormalizer
{
    // Punctuation that only separates or decorates words; anything else not a letter refuses the sentence.
    private const string Separators = ".,;:!?\"()«»„“”‚‘…-–—¡¿ \t";
    private const string Apostrophes = "'’`´";

    /// <summary>The normalized words, or null when the sentence does not fit the language.</summary>
    public static string[]? Normalize(string sentence, LanguageProfile language)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var upperInWord = 0;
        for (var i = 0; i <= sentence.Length; i++)
        {
            var c = i < sentence.Length ? sentence[i] : ' ';
            if (Apostrophes.Contains(c))
            {
                c = '\'';
            }
            var lower = char.ToLowerInvariant(c);
            if (language.Alphabet.Contains(lower))
            {
                upperInWord += char.IsUpper(c) ? 1 : 0;
                word.Append(lower);
                continue;
            }
            if (c == '\'' && word.Length > 0)
            {
                word.Append(c);
                continue;
            }
            if (c != '\'' && !Separators.Contains(c))
            {
                return null;
            }
            // Acronyms (NASA, USA) are spelled out by some engines and read as words by others.
            if (upperInWord >= 2)
            {
                return null;
            }
            var finished = FinishWord(word.ToString(), language);
            if (finished is null)
            {
                return null;
            }
            if (finished.Length > 0)
            {
                words.Add(finished);
            }
            word.Clear();
            upperInWord = 0;
        }
        // Three one-letter words in a row are a spelled-out word (b u m), which engines read letter by letter.
        for (var i = 2; i < words.Count; i++)
        {
            if (words[i].Length == 1 && words[i - 1].Length == 1 && words[i - 2].Length == 1)
            {
                return null;
            }
        }
        return words.Count == 0 ? null : [.. words];
    }

    /// <summary>The fairseq letter line: "h e l l o | w o r l d |".</summary>
    public static string ToLetters(IEnumerable<string> words)
    {
        var builder = new StringBuilder();
        foreach (var w in words)
        {
            foreach (var c in w)
            {
                builder.Append(c).Append(' ');
            }
            builder.Append("| ");
        }
        return builder.ToString().TrimEnd();
    }

    /// <summary>Inverse of <see cref="ToLetters"/>.</summary>
    public static string[] FromLetters(string letters) =>
        letters.Replace(" ", "", StringComparison.Ordinal).Split('|', StringSplitOptions.RemoveEmptyEntries);

    private static string? FinishWord(string word, LanguageProfile language)
    {
        // Italian fortunes in ASCII write è as e' (perche', citta'); turn that back into the accented letter.
        if (language.Code == "it" && word.Length >= 2 && word[^1] == '\'' && word != "po'")
        {
            var accented = word[^2] switch { 'a' => 'à', 'e' => 'è', 'i' => 'ì', 'o' => 'ò', 'u' => 'ù', _ => '\0' };
            if (accented != '\0')
            {
                word = word[..^2] + accented;
            }
        }
        word = word.Trim('\'');
        if (word.Contains('\'', StringComparison.Ordinal) && !language.KeepsApostrophe)
        {
            return null;
        }
        return word.Contains("''", StringComparison.Ordinal) ? null : word;
    }
}
