namespace S3Router.TrainingService.Data;

/// <summary>What the corpus builder knows about one ASR language: its alphabet, its text and its voices.</summary>
/// <param name="Code">ISO 639-1 code, also the folder name under <c>asr/</c>.</param>
/// <param name="Alphabet">The lowercase letters of the vocabulary (besides the apostrophe and <c>|</c>).</param>
/// <param name="EspeakVoice">The espeak-ng voice (<c>-v</c>), to which a variant is appended with <c>+</c>.</param>
/// <param name="FortuneSources">Files or folders relative to the fortunes root holding this language's text.</param>
/// <param name="ExtraVoices">Festival and flite voices of this language.</param>
internal sealed record LanguageProfile(
    string Code,
    string Alphabet,
    string EspeakVoice,
    IReadOnlyList<string> FortuneSources,
    IReadOnlyList<SynthVoice> ExtraVoices)
{
    /// <summary>Whether the apostrophe may stand inside a word (English don't, Italian l'amico).</summary>
    public bool KeepsApostrophe => Code is "en" or "it" or "fr";
}
