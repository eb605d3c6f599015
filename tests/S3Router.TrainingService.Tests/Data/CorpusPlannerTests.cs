using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

public sealed class CorpusPlannerTests
{
    private static CorpusOptions Defaults => new() { OutputDirectory = "/tmp/unused", FortunesDirectory = TinyCorpus.Fortunes };

    [Fact]
    public void Speakers_Defaults_TwentyFourSpeakersApartInMoreThanPitch()
    {
        var speakers = CorpusPlanner.Speakers(Defaults);

        Assert.True(speakers.Count >= 20);
        Assert.Equal(speakers.Count, speakers.Select(s => s.Label).Distinct().Count());
        // No two speakers share an engine voice: pitch and rate only add to a difference in timbre.
        Assert.Equal(speakers.Count, speakers.Select(s => s.Voice.Voice.Speaker).Distinct().Count());
        Assert.Contains(speakers, s => s.Voice.Voice.Engine == SynthEngine.Flite);
        Assert.Contains(speakers, s => s.Voice.Voice.Engine == SynthEngine.Festival);
        Assert.True(speakers.Select(s => s.Voice.EspeakVoice).Distinct().Count() >= 4);
    }

    [Fact]
    public void Plan_Intent_TwelveIntentsThreeLanguagesTestOnHeldOutTemplatesAndVoices()
    {
        var plan = CorpusPlanner.Plan(Defaults with { Tasks = CorpusTasks.Intent, Scale = 0.25 });
        var splits = plan.Splits.ToDictionary(s => s.Name, s => s.Items);

        Assert.Equal(12, splits["train"].Select(i => i.Label).Distinct().Count());
        Assert.Equal(splits["train"].Select(i => i.Label).ToHashSet(), splits["test"].Select(i => i.Label).ToHashSet());
        var trainSpeakers = splits["train"].Select(i => i.Voice.Voice.Speaker).ToHashSet();
        Assert.All(splits["test"], i => Assert.DoesNotContain(i.Voice.Voice.Speaker, trainSpeakers));
        Assert.All(splits["valid"], i => Assert.DoesNotContain(i.Voice.Voice.Speaker, trainSpeakers));
        // The test template of each intent is never used in training: its filled texts never occur there.
        var trainTexts = splits["train"].Select(i => i.SpokenText).ToHashSet();
        Assert.All(splits["test"], i => Assert.DoesNotContain(i.SpokenText, trainTexts));
        Assert.Equal(3, splits["test"].Select(i => i.Voice.EspeakVoice).Distinct().Count());
    }

    [Fact]
    public void Plan_Intent_TestSeenHasTestVoicesOnTrainingTemplates()
    {
        var plan = CorpusPlanner.Plan(Defaults with { Tasks = CorpusTasks.Intent, Scale = 0.5 });
        var splits = plan.Splits.ToDictionary(s => s.Name, s => s.Items);

        // The voices are the test split's (never heard in training); the phrasings are the training templates', so
        // test_seen against test isolates the cost of a new word order.
        var trainSpeakers = splits["train"].Select(i => i.Voice.Voice.Speaker).ToHashSet();
        Assert.All(splits["test_seen"], i => Assert.DoesNotContain(i.Voice.Voice.Speaker, trainSpeakers));
        Assert.Equal(splits["test"].Select(i => i.Voice.Voice.Speaker).ToHashSet(), splits["test_seen"].Select(i => i.Voice.Voice.Speaker).ToHashSet());
        var testTexts = splits["test"].Select(i => i.SpokenText).ToHashSet();
        Assert.All(splits["test_seen"], i => Assert.DoesNotContain(i.SpokenText, testTexts));
        var trainTexts = splits["train"].Select(i => i.SpokenText).ToHashSet();
        Assert.Contains(splits["test_seen"], i => trainTexts.Contains(i.SpokenText));
        Assert.Equal(splits["test"].Count, splits["test_seen"].Count);
        Assert.Equal(splits["test"].Select(i => i.Label).Order(), splits["test_seen"].Select(i => i.Label).Order());
    }

    [Fact]
    public void Plan_SameOptionsTwice_SameItemsInSameOrder()
    {
        var options = Defaults with { Tasks = CorpusTasks.Intent | CorpusTasks.Speaker, Scale = 0.1 };

        var first = CorpusPlanner.Plan(options).Splits.SelectMany(s => s.Items).Select(i => i.RelativePath).ToList();
        var second = CorpusPlanner.Plan(options).Splits.SelectMany(s => s.Items).Select(i => i.RelativePath).ToList();

        Assert.Equal(first, second);
    }

    [Fact]
    public void Load_EveryDefaultLanguage_EnoughSentencesForOneHourPlusHeldOut()
    {
        Assert.SkipUnless(Directory.Exists(TinyCorpus.Fortunes), "needs the fortunes packages");

        var minutes = LanguageProfiles.DefaultCodes.AsParallel().ToDictionary(
            code => code, code => SentenceSource.Load(Defaults, LanguageProfiles.All[code]).Sum(SentenceSource.EstimateSeconds) / 60);

        Assert.All(minutes, m => Assert.True(m.Value >= 80, $"{m.Key}: only {m.Value:0} minutes of sentences"));
    }
}
