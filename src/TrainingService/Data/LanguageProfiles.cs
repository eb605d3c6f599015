namespace S3Router.TrainingService.Data;

/// <summary>
/// The ASR languages: text from Debian's fortunes packages (fortunes, fortunes-min, fortunes-de, -es, -it, -pl,
/// -ru, -cs, -br), voices from espeak-ng plus the festival and flite voices Debian ships for the language.
/// French has no fortunes package and is not a default synthetic language; it exists for the real Asterisk prompts.
/// </summary>
internal static class LanguageProfiles
{
    private const string Latin = "abcdefghijklmnopqrstuvwxyz";

    private static readonly string[] s_englishFiles =
    [
        "fortunes", "literature", "riddles", "humorists", "wisdom", "people", "platitudes", "love", "men-women",
        "miscellaneous", "education", "food", "kids", "law", "science", "politics", "pets", "sports",
        "songs-poems", "pratchett", "goedel", "magic", "medicine", "paradoxum", "work", "zippy",
    ];

    /// <summary>Every supported language, by code.</summary>
    public static IReadOnlyDictionary<string, LanguageProfile> All { get; } = new[]
    {
        new LanguageProfile("en", Latin, "en-us", s_englishFiles,
        [
            new(SynthEngine.Flite, "kal16", "kal"),
            new(SynthEngine.Flite, "awb", "awb"),
            new(SynthEngine.Flite, "rms", "rms"),
            new(SynthEngine.Flite, "slt", "slt"),
            new(SynthEngine.Festival, "kal_diphone", "kal", "iso-8859-1"),
            new(SynthEngine.Festival, "ked_diphone", "ked", "iso-8859-1"),
            new(SynthEngine.Festival, "cmu_us_slt_arctic_hts", "slt", "iso-8859-1"),
        ]),
        new LanguageProfile("de", Latin + "äöüß", "de", ["de"], []),
        new LanguageProfile("es", Latin + "áéíóúüñ", "es", ["es"], []),
        new LanguageProfile("it", Latin + "àèéìíòóùú", "it", ["it"],
        [
            new(SynthEngine.Festival, "lp_diphone", "lp", "iso-8859-1"),
            new(SynthEngine.Festival, "pc_diphone", "pc", "iso-8859-1"),
        ]),
        new LanguageProfile("pl", Latin + "ąćęłńóśźż", "pl", ["pl"], []),
        new LanguageProfile("ru", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "ru", ["ru"],
        [
            new(SynthEngine.Festival, "msu_ru_nsh_clunits", "nsh"),
        ]),
        new LanguageProfile("cs", Latin + "áčďéěíňóřšťúůýž", "cs", ["cs"],
        [
            new(SynthEngine.Festival, "czech_dita", "dita", "iso-8859-2"),
            new(SynthEngine.Festival, "czech_machac", "machac", "iso-8859-2"),
            new(SynthEngine.Festival, "czech_krb", "krb", "iso-8859-2"),
            new(SynthEngine.Festival, "czech_ph", "ph", "iso-8859-2"),
        ]),
        new LanguageProfile("pt", Latin + "áâãàçéêíóôõúü", "pt-br", ["brasil"], []),
        // Debian has no French fortunes: French is real speech only (s3r data asterisk), with espeak-ng for synth.
        new LanguageProfile("fr", Latin + "àâæçéèêëîïôœùûüÿ", "fr-fr", [], []),
    }.ToDictionary(p => p.Code, StringComparer.Ordinal);

    /// <summary>The languages built when none are named: all of them.</summary>
    public static IReadOnlyList<string> DefaultCodes { get; } = ["cs", "de", "en", "es", "it", "pl", "pt", "ru"];
}
