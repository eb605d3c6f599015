using S3Router.Core.Errors;
using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

public sealed class CorpusBuilderTests(TinyCorpus corpus) : IClassFixture<TinyCorpus>
{
    private static readonly string[] s_asrSplits = ["train_10min", "train_1h", "valid", "test"];

    private IEnumerable<(string Directory, string Split)> AllSplits()
    {
        foreach (var lang in corpus.Options.Languages)
        {
            foreach (var split in s_asrSplits)
            {
                yield return (Path.Combine(corpus.Options.OutputDirectory, "asr", lang), split);
            }
        }
        foreach (var split in new[] { "train", "valid", "test" })
        {
            yield return (Path.Combine(corpus.Options.OutputDirectory, "speaker"), split);
        }
    }

    [Fact]
    public void BuildAsync_TinyCorpus_ManifestsParseAndSampleCountsMatchTheWavFiles()
    {
        Assert.SkipUnless(TinyCorpus.ToolsPresent, "needs espeak-ng and the fortunes packages");
        Assert.Empty(corpus.Summary!.Failures);

        foreach (var (directory, split) in AllSplits())
        {
            var manifest = Manifest.Read(directory, split);

            Assert.Equal(directory, manifest.Root);
            Assert.NotEmpty(manifest.Rows);
            Assert.Equal(manifest.Rows.Count, manifest.Letters.Count);
            Assert.Equal(manifest.Rows.Count, manifest.Words.Count);
            CorpusChecks.AssertWavsMatchRows(manifest, 0.3, 30);
        }
    }

    [Fact]
    public void BuildAsync_TinyCorpus_TranscriptsRoundTripThroughTheVocabulary()
    {
        Assert.SkipUnless(TinyCorpus.ToolsPresent, "needs espeak-ng and the fortunes packages");

        foreach (var lang in corpus.Options.Languages)
        {
            var directory = Path.Combine(corpus.Options.OutputDirectory, "asr", lang);
            var dictionary = File.ReadAllLines(Path.Combine(directory, "dict.ltr.txt")).Select(l => l.Split(' ')[0]).ToHashSet();
            Assert.Contains("|", dictionary);
            foreach (var split in s_asrSplits)
            {
                CorpusChecks.AssertTranscriptsRoundTrip(Manifest.Read(directory, split), dictionary, LanguageProfiles.All[lang]);
            }
        }
    }

    [Fact]
    public void BuildAsync_AsrSplits_HeldOutSentencesAndVoicesAndSmallSetInsideLarge()
    {
        Assert.SkipUnless(TinyCorpus.ToolsPresent, "needs espeak-ng and the fortunes packages");

        foreach (var lang in corpus.Options.Languages)
        {
            var directory = Path.Combine(corpus.Options.OutputDirectory, "asr", lang);
            var train = Manifest.Read(directory, "train_1h");
            var small = Manifest.Read(directory, "train_10min");
            var trainSentences = train.Words.ToHashSet();
            var trainVoices = train.Rows.Select(r => Manifest.VoiceOf(r.Path)).ToHashSet();

            Assert.Subset(train.Rows.ToHashSet(), small.Rows.ToHashSet());
            Assert.True(small.Rows.Count < train.Rows.Count);
            var heldOutVoices = new List<HashSet<string>>();
            foreach (var split in new[] { "valid", "test" })
            {
                var held = Manifest.Read(directory, split);
                Assert.All(held.Words, w => Assert.DoesNotContain(w, trainSentences));
                var voices = held.Rows.Select(r => Manifest.VoiceOf(r.Path)).ToHashSet();
                Assert.Empty(voices.Intersect(trainVoices));
                heldOutVoices.Add(voices);
            }
            Assert.Empty(Manifest.Read(directory, "valid").Words.Intersect(Manifest.Read(directory, "test").Words));
            Assert.Empty(heldOutVoices[0].Intersect(heldOutVoices[1]));
        }
    }

    [Fact]
    public void BuildAsync_SpeakerSplits_SameSpeakersHeldOutSentences()
    {
        Assert.SkipUnless(TinyCorpus.ToolsPresent, "needs espeak-ng and the fortunes packages");
        var directory = Path.Combine(corpus.Options.OutputDirectory, "speaker");

        var train = Manifest.Read(directory, "train");
        var test = Manifest.Read(directory, "test");
        var labels = File.ReadAllLines(Path.Combine(directory, "labels.txt"));

        Assert.Equal(corpus.Options.Speakers, labels.Length);
        Assert.Equal(labels, train.Labels!.Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(labels, test.Labels!.Distinct().Order(StringComparer.Ordinal));
        Assert.Empty(test.Words.Intersect(train.Words));
    }

    [Fact]
    public async Task BuildAsync_SameSeedTwice_IdenticalManifestsAndAudio()
    {
        Assert.SkipUnless(TinyCorpus.ToolsPresent, "needs espeak-ng and the fortunes packages");
        var output = Path.Combine(corpus.Root, "again");

        await new CorpusBuilder().BuildAsync(TinyCorpus.OptionsFor(output), null, TestContext.Current.CancellationToken);

        CorpusChecks.AssertSameFiles(corpus.Options.OutputDirectory, output);
    }

    [Fact]
    public async Task BuildAsync_OtherSeed_OtherSentences()
    {
        Assert.SkipUnless(TinyCorpus.ToolsPresent, "needs espeak-ng and the fortunes packages");

        var plan = CorpusPlanner.Plan(TinyCorpus.OptionsFor(corpus.Root) with { Seed = 8 });
        var seeded = plan.Splits.Single(s => s.Name == "train_1h" && s.Directory.EndsWith("en", StringComparison.Ordinal));
        var original = Manifest.Read(Path.Combine(corpus.Options.OutputDirectory, "asr", "en"), "train_1h");

        Assert.NotEqual(original.Words.Order(), seeded.Items.Select(i => i.SpokenText).Order());
        await Task.CompletedTask;
    }

    [Fact]
    public async Task BuildAsync_AfterDeletingWavs_RebuildsExactlyThem()
    {
        Assert.SkipUnless(TinyCorpus.ToolsPresent, "needs espeak-ng and the fortunes packages");
        var output = Path.Combine(corpus.Root, "resume");
        CorpusChecks.CopyDirectory(corpus.Options.OutputDirectory, output);
        var deleted = CorpusChecks.DeleteFirstWavs(Path.Combine(output, "asr", "en", "wav"), 3);

        var summary = await new CorpusBuilder().BuildAsync(TinyCorpus.OptionsFor(output), null, TestContext.Current.CancellationToken);

        CorpusChecks.AssertRebuiltExactly(summary.Progress, deleted);
    }

    [Fact]
    public async Task BuildAsync_SpeedCopies_EachCopyIsItsOriginalPlayedAtItsSpeed()
    {
        Assert.SkipUnless(TinyCorpus.ToolsPresent, "needs espeak-ng and the fortunes packages");

        var options = await BuildSmallEnglishAsrAsync("speed", o => o with { SpeedCopies = 1 });

        var train = Manifest.Read(Path.Combine(options.OutputDirectory, "asr", "en"), "train_1h");
        var planned = CorpusPlanner.Plan(options).Splits.Single(s => s.Name == "train_1h").Items;
        Assert.Equal(planned.Select(i => i.RelativePath), train.Rows.Select(r => r.Path));
        for (var i = 0; i < planned.Count; i += 2)
        {
            // Played faster is shorter by the same factor (the resampler's rounding aside).
            var expected = train.Rows[i].Samples / planned[i + 1].Augmentation!.Speed;
            Assert.InRange(train.Rows[i + 1].Samples, expected * 0.99, expected * 1.01);
            Assert.Equal(train.Words[i], train.Words[i + 1]);
        }
    }

    [Fact]
    public async Task BuildAsync_RoomCopies_EachCopyIsItsOriginalReverberatedAtItsLengthAndLevel()
    {
        Assert.SkipUnless(TinyCorpus.ToolsPresent, "needs espeak-ng and the fortunes packages");

        var options = await BuildSmallEnglishAsrAsync("room", o => o with { RoomCopies = 1 });

        var directory = Path.Combine(options.OutputDirectory, "asr", "en");
        var train = Manifest.Read(directory, "train_1h");
        var planned = CorpusPlanner.Plan(options).Splits.Single(s => s.Name == "train_1h").Items;
        Assert.Equal(planned.Select(i => i.RelativePath).Order(StringComparer.Ordinal), train.Rows.Select(r => r.Path));
        var words = train.Rows.Select((r, i) => (r.Path, Words: train.Words[i])).ToDictionary(r => r.Path, r => r.Words, StringComparer.Ordinal);
        for (var i = 0; i < planned.Count; i += 2)
        {
            // The plan lists each original followed by its copy (the manifest is sorted by file name).
            var original = Samples(Path.Combine(directory, planned[i].RelativePath));
            var copy = Samples(Path.Combine(directory, planned[i + 1].RelativePath));
            Assert.NotNull(planned[i + 1].Augmentation?.Room);
            Assert.Equal(original.Length, copy.Length);
            Assert.Equal(words[planned[i].RelativePath], words[planned[i + 1].RelativePath]);
            // The same level (RMS, up to 16-bit rounding), other samples: the room's tail is heard.
            Assert.Equal(Rms(original), Rms(copy), 2);
            Assert.True(original.Zip(copy).Count(p => Math.Abs(p.First - p.Second) > 0.01) > original.Length / 100);
        }

        static float[] Samples(string path) => S3Router.Core.Audio.WavReader.Read(File.ReadAllBytes(path)).Samples;
        static double Rms(float[] x) => Math.Sqrt(x.Average(v => (double)v * v));
    }

    [Fact]
    public async Task BuildAsync_MeasuredRooms_EachCopyIsItsOriginalThroughTheResponseItDrew()
    {
        Assert.SkipUnless(TinyCorpus.ToolsPresent, "needs espeak-ng and the fortunes packages");
        var responses = Path.Combine(corpus.Root, "rirs");
        Directory.CreateDirectory(responses);
        for (var k = 0; k < 2; k++)
        {
            // A direct path after 2 ms and an echo 10 or 20 ms later.
            var response = new float[400];
            response[32] = 0.8f;
            response[32 + (160 * (k + 1))] = 0.4f;
            File.WriteAllBytes(Path.Combine(responses, $"echo{k}.wav"), S3Router.Core.Audio.WavWriter.Write(response, 16_000));
        }

        var options = await BuildSmallEnglishAsrAsync("measured", o => o with { RoomCopies = 1, ImpulseResponseDirectory = responses });

        var directory = Path.Combine(options.OutputDirectory, "asr", "en");
        var planned = CorpusPlanner.Plan(options, CorpusBuilder.MeasuredRooms(options)).Splits.Single(s => s.Name == "train_1h").Items;
        for (var i = 0; i < planned.Count; i += 2)
        {
            var original = Samples(Path.Combine(directory, planned[i].RelativePath));
            var copy = Samples(Path.Combine(directory, planned[i + 1].RelativePath));
            var room = Assert.IsType<MeasuredRoom>(planned[i + 1].Augmentation?.Room);
            var expected = room.Apply(original, new Random(0));
            Assert.True(expected.Zip(copy).All(p => Math.Abs(p.First - p.Second) < 1e-3), $"{planned[i + 1].RelativePath} is {planned[i].RelativePath} through {room.Name}");
        }

        static float[] Samples(string path) => S3Router.Core.Audio.WavReader.Read(File.ReadAllBytes(path)).Samples;
    }

    /// <summary>Builds a small English ASR corpus in <paramref name="name"/> with <paramref name="copies"/>' options; no file may fail.</summary>
    private async Task<CorpusOptions> BuildSmallEnglishAsrAsync(string name, Func<CorpusOptions, CorpusOptions> copies)
    {
        var options = copies(TinyCorpus.OptionsFor(Path.Combine(corpus.Root, name)) with
        {
            Tasks = CorpusTasks.Asr, Languages = ["en"], AsrTrainMinutes = 0.1, AsrSmallTrainMinutes = 0.05,
        });
        var summary = await new CorpusBuilder().BuildAsync(options, null, TestContext.Current.CancellationToken);
        Assert.Empty(summary.Failures);
        return options;
    }

    [Theory]
    [InlineData(9, 0, "speed-copies")]
    [InlineData(0, 9, "room-copies")]
    [InlineData(0, -1, "room-copies")]
    public async Task BuildAsync_CopiesOutOfRange_InvalidInputNamingTheOption(int speedCopies, int roomCopies, string field)
    {
        var options = TinyCorpus.OptionsFor(Path.Combine(corpus.Root, "bad-copies")) with { SpeedCopies = speedCopies, RoomCopies = roomCopies };

        var error = await Assert.ThrowsAsync<InvalidInputException>(
            () => new CorpusBuilder().BuildAsync(options, null, TestContext.Current.CancellationToken));

        Assert.Equal(field, Assert.Single(error.Violations).Field);
    }

    [Fact]
    public async Task BuildAsync_UnknownLanguage_InvalidInput()
    {
        var options = TinyCorpus.OptionsFor(Path.Combine(corpus.Root, "bad")) with { Languages = ["xx"] };

        var error = await Assert.ThrowsAsync<InvalidInputException>(
            () => new CorpusBuilder().BuildAsync(options, null, TestContext.Current.CancellationToken));

        Assert.Contains("xx", error.Message, StringComparison.Ordinal);
    }
}
