using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

public sealed class AsteriskTranscriptsTests
{
    private const string Sample =
        "\uFEFF; Core Asterisk Sounds in English\n" +
        "\n" +
        "agent-loginok: Agent logged in.\n" +
        "digits/1: One\n" +
        "vm-note: Note: press the pound key.\n" +
        "dir-welcome:\n" +
        "beep: [this is a simple beep tone]\n" +
        "this line is prose: not an entry\n" +
        "agent-loginok: a second line for the same name\n";

    [Fact]
    public void Parse_InlineSample_EntriesInFileOrderFirstLineWins()
    {
        var entries = AsteriskTranscripts.Parse(Sample);

        Assert.Equal(
        [
            new AsteriskTranscript("agent-loginok", "Agent logged in."),
            new AsteriskTranscript("digits/1", "One"),
            new AsteriskTranscript("vm-note", "Note: press the pound key."),
            new AsteriskTranscript("dir-welcome", ""),
            new AsteriskTranscript("beep", "[this is a simple beep tone]"),
        ], entries);
    }

    [Theory]
    [InlineData("en", "", AsteriskDropReason.Empty)]
    [InlineData("en", "[ascending tones]", AsteriskDropReason.Placeholder)]
    [InlineData("fr", "(ahooga)", AsteriskDropReason.Placeholder)]
    [InlineData("it", "La chiamata non pu? essere completata.", AsteriskDropReason.Corrupt)]
    [InlineData("it", "La conferenza ? piena.", AsteriskDropReason.Corrupt)]
    [InlineData("en", "Press 1 to mute.", AsteriskDropReason.OutOfVocabulary)]
    [InlineData("en", "Enter your PIN.", AsteriskDropReason.OutOfVocabulary)]
    [InlineData("es", "Presione * para salir", AsteriskDropReason.OutOfVocabulary)]
    public void Classify_UnusableTranscript_Reason(string code, string text, AsteriskDropReason expected)
    {
        var (words, reason) = AsteriskTranscripts.Classify(text, LanguageProfiles.All[code]);

        Assert.Null(words);
        Assert.Equal(expected, reason);
    }

    [Theory]
    [InlineData("en", "Login incorrect.  Mailbox?", "login incorrect mailbox")]
    [InlineData("es", "En que carpeta desea guardar el mensaje ?", "en que carpeta desea guardar el mensaje")]
    [InlineData("fr", "Dans quel dossier souhaitez-vous conserver ce message?", "dans quel dossier souhaitez vous conserver ce message")]
    [InlineData("fr", "Vous n'êtes plus en ligne.", "vous n'êtes plus en ligne")]
    [InlineData("ru", "Переадресация вызовов если «занято»", "переадресация вызовов если занято")]
    public void Classify_SpokenTranscript_NormalizedWords(string code, string text, string expected)
    {
        var (words, reason) = AsteriskTranscripts.Classify(text, LanguageProfiles.All[code]);

        Assert.Null(reason);
        Assert.Equal(expected, string.Join(' ', words!));
    }

    [Theory]
    [InlineData("en", "agent-loginok", "Agent logged in.")]
    [InlineData("es", "auth-thankyou", "Gracias")]
    [InlineData("fr", "auth-thankyou", "Merci.")]
    [InlineData("it", "auth-thankyou", "Grazie.")]
    [InlineData("ru", "auth-thankyou", "Спасибо.")]
    public void Parse_InstalledPackageList_HoldsHundredsOfPromptsAndKnownLine(string code, string name, string text)
    {
        var path = AsteriskPackages.FindTranscripts("/usr/share/doc", code);
        Assert.NotNull(path);

        var entries = AsteriskTranscripts.Parse(AsteriskTranscripts.ReadFile(path));

        Assert.InRange(entries.Count, 400, 1000);
        Assert.Contains(new AsteriskTranscript(name, text), entries);
    }
}
