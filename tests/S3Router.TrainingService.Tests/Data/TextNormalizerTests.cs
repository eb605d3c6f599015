using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

public sealed class TextNormalizerTests
{
    private static LanguageProfile Lang(string code) => LanguageProfiles.All[code];

    [Fact]
    public void Normalize_EnglishWithPunctuation_LowercaseWordsKeepingInnerApostrophe()
    {
        var words = TextNormalizer.Normalize("\"Don't panic,\" she said -- twice!", Lang("en"))!;

        Assert.Equal(["don't", "panic", "she", "said", "twice"], words);
    }

    [Theory]
    [InlineData("en", "I have 3 apples.")]
    [InlineData("en", "Send it to me@example.")]
    [InlineData("de", "Ein Café in Paris.")]
    [InlineData("ru", "Это Linux.")]
    [InlineData("en", "The NASA budget grew.")]
    [InlineData("ru", "падение с первого б у м")]
    [InlineData("de", "Das geht's nicht.")]
    public void Normalize_DigitsForeignLettersSymbolsAcronyms_Refused(string code, string sentence)
    {
        Assert.Null(TextNormalizer.Normalize(sentence, Lang(code)));
    }

    [Fact]
    public void Normalize_ItalianAsciiAccent_BecomesAccentedLetter()
    {
        var words = TextNormalizer.Normalize("Il cervello e' un organo, perche' no?", Lang("it"))!;

        Assert.Equal(["il", "cervello", "è", "un", "organo", "perchè", "no"], words);
    }

    [Fact]
    public void Normalize_RussianAndCzech_KeepTheirAlphabets()
    {
        Assert.Equal(["всем", "известно"], TextNormalizer.Normalize("Всем известно.", Lang("ru"))!);
        Assert.Equal(["příliš", "žluťoučký", "kůň"], TextNormalizer.Normalize("Příliš žluťoučký kůň!", Lang("cs"))!);
    }

    [Fact]
    public void ToLetters_Words_FairseqLetterLineThatRoundTrips()
    {
        string[] words = ["hello", "world"];

        var letters = TextNormalizer.ToLetters(words);

        Assert.Equal("h e l l o | w o r l d |", letters);
        Assert.Equal(words, TextNormalizer.FromLetters(letters));
    }
}
