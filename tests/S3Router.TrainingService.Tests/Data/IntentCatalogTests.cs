using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

public sealed class IntentCatalogTests
{
    [Fact]
    public void Templates_TestTemplate_NewWordOrderOfWordsHeardInTraining()
    {
        // Arrange
        var cases = IntentCatalog.Languages.SelectMany(language => IntentCatalog.Intents.Select(intent => (language, intent)));

        // Act / Assert
        Assert.All(cases, c =>
        {
            var templates = IntentCatalog.Templates[c.language][c.intent];
            var (train, test) = (templates[..^1], templates[^1]);
            var trainWords = train.SelectMany(Words).ToHashSet(StringComparer.Ordinal);
            Assert.True(templates.Length >= 4, $"{c.language}/{c.intent}: at least 3 training templates");
            Assert.DoesNotContain(test, train);
            Assert.All(Words(test), w => Assert.True(trainWords.Contains(w), $"{c.language}/{c.intent}: '{w}' of \"{test}\" is not in training"));
        });
    }

    [Fact]
    public void Templates_EveryIntentAndLanguage_FillsEverySlot()
    {
        // Arrange
        var random = new Random(1);

        // Act
        var filled = IntentCatalog.Languages.SelectMany(language => IntentCatalog.Intents.SelectMany(
            intent => IntentCatalog.Templates[language][intent].Select(t => IntentCatalog.Fill(language, t, random)))).ToList();

        // Assert
        Assert.Equal(IntentCatalog.Languages.Count * IntentCatalog.Intents.Count * 5, filled.Count);
        Assert.All(filled, text => Assert.DoesNotContain("{", text, StringComparison.Ordinal));
    }

    private static IEnumerable<string> Words(string template) =>
        template.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith('{'));
}
