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
    public void Plan_SpeedCopies_EachTrainingUtteranceFollowedByCopiesOfItAtOtherSpeeds()
    {
        var options = Defaults with { Tasks = CorpusTasks.Intent | CorpusTasks.Asr | CorpusTasks.Speaker, Languages = ["en"], Scale = 0.25 };
        var plain = CorpusPlanner.Plan(options).Splits.ToDictionary(s => s.Directory + "/" + s.Name, s => s.Items);
        var copied = CorpusPlanner.Plan(options with { SpeedCopies = 2 }).Splits.ToDictionary(s => s.Directory + "/" + s.Name, s => s.Items);

        foreach (var (split, items) in plain)
        {
            var isCopied = split.EndsWith("intent/train", StringComparison.Ordinal) || split.Contains("/asr/en/train_", StringComparison.Ordinal);
            if (!isCopied)
            {
                // Held-out splits and speaker ID (a shifted voice is another speaker) stay as they were.
                Assert.Equal(items.Select(i => i.RelativePath), copied[split].Select(i => i.RelativePath));
                continue;
            }
            Assert.Equal(3 * items.Count, copied[split].Count);
            for (var i = 0; i < items.Count; i++)
            {
                var original = copied[split][3 * i];
                Assert.Equal(items[i].RelativePath, original.RelativePath);
                var copies = copied[split].Skip((3 * i) + 1).Take(2).ToList();
                Assert.NotEqual(copies[0].RelativePath, copies[1].RelativePath);
                foreach (var copy in copies)
                {
                    Assert.Equal((original.SpokenText, original.Label, original.Voice), (copy.SpokenText, copy.Label, copy.Voice));
                    Assert.InRange(copy.Augmentation!.Speed, Augmentation.SlowestCopy, Augmentation.FastestCopy);
                    Assert.NotEqual(original.RelativePath, copy.RelativePath);
                }
            }
        }
        // The 10-minute set's copies are the 1-hour set's, as its originals are.
        var directory = copied.Keys.First(k => k.EndsWith("/asr/en/train_1h", StringComparison.Ordinal))[..^"train_1h".Length];
        Assert.Subset(copied[directory + "train_1h"].Select(i => i.RelativePath).ToHashSet(), copied[directory + "train_10min"].Select(i => i.RelativePath).ToHashSet());
        var speeds = copied.Values.SelectMany(items => items).Where(i => i.Augmentation is not null).Select(i => i.Augmentation!.Speed).ToList();
        Assert.Contains(speeds, v => v < 0.95);
        Assert.Contains(speeds, v => v > 1.1);
    }

    [Fact]
    public void Plan_RoomCopies_EachTrainingUtteranceFollowedByItsSpeedCopiesThenCopiesInOtherRooms()
    {
        var options = Defaults with { Tasks = CorpusTasks.Intent | CorpusTasks.Speaker, Languages = ["en"], Scale = 0.25 };
        var plain = CorpusPlanner.Plan(options with { SpeedCopies = 1 }).Splits.ToDictionary(s => s.Directory + "/" + s.Name, s => s.Items);
        var copied = CorpusPlanner.Plan(options with { SpeedCopies = 1, RoomCopies = 2 }).Splits.ToDictionary(s => s.Directory + "/" + s.Name, s => s.Items);

        foreach (var (split, items) in plain)
        {
            if (!split.EndsWith("intent/train", StringComparison.Ordinal))
            {
                // Held-out splits and speaker ID stay as they were.
                Assert.Equal(items.Select(i => i.RelativePath), copied[split].Select(i => i.RelativePath));
                continue;
            }
            Assert.Equal(2 * items.Count, copied[split].Count);
            for (var i = 0; i < items.Count; i += 2)
            {
                // original, its speed copy (as without rooms), then two room copies of the original at its speed.
                var group = copied[split].Skip(2 * i).Take(4).ToList();
                Assert.Equal(items.Skip(i).Take(2).Select(c => c.RelativePath), group.Take(2).Select(c => c.RelativePath));
                var rooms = group.Skip(2).ToList();
                Assert.All(rooms, r => Assert.Equal((group[0].SpokenText, group[0].Label, group[0].Voice), (r.SpokenText, r.Label, r.Voice)));
                Assert.All(rooms, r => Assert.Equal(1, r.Augmentation!.Speed));
                Assert.All(rooms, r => Assert.InRange(Assert.IsType<RoomReverb>(r.Augmentation!.Room).Rt60Seconds, RoomReverb.ShortestRt60, RoomReverb.LongestRt60));
                Assert.Equal(4, group.Select(c => c.RelativePath).Distinct().Count());
            }
        }
    }

    [Fact]
    public void Plan_MeasuredRooms_EachUtterancesRoomCopiesAreHeardInDifferentOnesOfThem()
    {
        var options = Defaults with { Tasks = CorpusTasks.Intent, Languages = ["en"], Scale = 0.25, RoomCopies = 2 };
        MeasuredRoom[] measured = [.. Enumerable.Range(0, 3).Select(k => new MeasuredRoom($"room{k}.wav", $"{k:x12}", [1f], 0))];
        var synthetic = CorpusPlanner.Plan(options).Splits.Single(s => s.Name == "train").Items;

        var items = CorpusPlanner.Plan(options, measured).Splits.Single(s => s.Name == "train").Items;

        Assert.Equal(synthetic.Count, items.Count);
        for (var i = 0; i < items.Count; i += 3)
        {
            // The original as without measured rooms, then two copies in two different measured rooms.
            Assert.Equal(synthetic[i].RelativePath, items[i].RelativePath);
            var rooms = items.Skip(i + 1).Take(2).Select(c => Assert.IsType<MeasuredRoom>(c.Augmentation!.Room)).ToList();
            Assert.NotEqual(rooms[0].Name, rooms[1].Name);
            Assert.All(items.Skip(i + 1).Take(2), c => Assert.Contains($"|rir:", c.Augmentation!.Key, StringComparison.Ordinal));
        }
        Assert.Equal(3, items.Select(c => (c.Augmentation?.Room as MeasuredRoom)?.Name).OfType<string>().Distinct().Count());
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
