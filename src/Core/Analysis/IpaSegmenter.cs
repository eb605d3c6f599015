using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace S3Router.Core.Analysis;

/// <summary>
/// Splits IPA text (as <c>espeak-ng --ipa</c> prints it) into phoneme segments: a base letter with its diacritics,
/// modifier letters (ʰ ʲ ʷ) and length marks (ː ˑ), joined with the next letter across a tie bar (t͡ʃ, a͡ɪ; every tie is written as U+0361).
/// Stress marks (ˈ ˌ), syllable dots, tone letters and numbers, punctuation and espeak-ng's language switch markers
/// such as <c>(en)</c> are dropped. Example: <c>t͡ʃˈɜːt͡ʃ</c> → [t͡ʃ, ɜː, t͡ʃ].
/// </summary>
public static partial class IpaSegmenter
{
    private const char PrimaryStress = '\u02C8';
    private const char SecondaryStress = '\u02CC';
    private const char TieAbove = '\u0361';
    private const char TieBelow = '\u035C';
    private const char ZeroWidthJoiner = '\u200D';
    private const char Undertie = '\u203F';

    /// <summary>The phoneme segments of <paramref name="ipa"/>, in order (repeats kept).</summary>
    public static IReadOnlyList<string> Split(string ipa)
    {
        ArgumentNullException.ThrowIfNull(ipa);
        var text = LanguageSwitch().Replace(ipa, " ");
        var segments = new List<string>();
        var current = new StringBuilder();
        var joinNext = false;

        void Flush()
        {
            if (current.Length > 0)
            {
                segments.Add(current.ToString());
                current.Clear();
            }
            joinNext = false;
        }

        foreach (var rune in text.EnumerateRunes())
        {
            var value = rune.Value;
            if (value is TieAbove or TieBelow or ZeroWidthJoiner)
            {
                joinNext = current.Length > 0;
                continue;
            }
            if (value is PrimaryStress or SecondaryStress || IsToneLetter(value))
            {
                // Prosody, not a segment; it also separates the segments around it (a tie never spans a stress mark).
                Flush();
                continue;
            }

            var category = Rune.GetUnicodeCategory(rune);
            var isLetter = category is UnicodeCategory.LowercaseLetter or UnicodeCategory.UppercaseLetter
                or UnicodeCategory.OtherLetter or UnicodeCategory.TitlecaseLetter;
            var attaches = category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
                or UnicodeCategory.EnclosingMark or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
            if (isLetter)
            {
                if (joinNext)
                {
                    // One tie character for every spelling of a tie (U+0361, U+035C, espeak-ng's --ipa=3 joiner).
                    current.Append(TieAbove);
                }
                else
                {
                    Flush();
                }
                current.Append(rune.ToString());
                joinNext = false;
            }
            else if (attaches && current.Length > 0 && value != Undertie)
            {
                current.Append(rune.ToString());
            }
            else
            {
                // Spaces, punctuation, digits (espeak-ng's tone numbers), syllable dots: segment boundaries.
                Flush();
            }
        }

        Flush();
        return segments;
    }

    /// <summary>The set of distinct segments of <paramref name="ipa"/>: its phoneme inventory.</summary>
    public static IReadOnlySet<string> Inventory(string ipa) => Split(ipa).ToHashSet(StringComparer.Ordinal);

    /// <summary>Chao tone letters ˥ ˦ ˧ ˨ ˩ and their left-stem forms.</summary>
    private static bool IsToneLetter(int value) => value is >= 0x02E5 and <= 0x02E9 or >= 0xA712 and <= 0xA716;

    [GeneratedRegex(@"\([^()\s]{1,32}\)")]
    private static partial Regex LanguageSwitch();
}
