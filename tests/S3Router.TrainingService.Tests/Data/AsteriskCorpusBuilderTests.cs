using S3Router.Core.Errors;
using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

public sealed class AsteriskCorpusBuilderTests(AsteriskCorpus corpus) : IClassFixture<AsteriskCorpus>
{
    private static readonly string[] s_splits = ["all", "train_real", "test"];

    private string LanguageDirectory(string code) => Path.Combine(corpus.Options.OutputDirectory, "asr", code);

    [Fact]
    public void BuildAsync_InstalledPackages_ManifestsParseAndSampleCountsMatchTheWavFiles()
    {
        Assert.Empty(corpus.Summary.Failures);
        Assert.Equal(corpus.Options.Languages, corpus.Summary.Languages.Select(l => l.Code));

        foreach (var code in corpus.Options.Languages)
        {
            foreach (var split in s_splits)
            {
                var manifest = Manifest.Read(LanguageDirectory(code), split);

                Assert.Equal(LanguageDirectory(code), manifest.Root);
                Assert.Equal(manifest.Rows.Count, manifest.Letters.Count);
                Assert.Equal(manifest.Rows.Count, manifest.Words.Count);
                CorpusChecks.AssertWavsMatchRows(manifest, 0.2, 60);
            }
            var all = Manifest.Read(LanguageDirectory(code), "all");
            Assert.NotEmpty(all.Rows);
            Assert.Equal(corpus.Summary.Languages.Single(l => l.Code == code).Kept, all.Rows.Count);
        }
    }

    [Fact]
    public void BuildAsync_InstalledPackages_TranscriptsRoundTripThroughTheSynthVocabulary()
    {
        foreach (var code in corpus.Options.Languages)
        {
            var dictionary = File.ReadAllLines(Path.Combine(LanguageDirectory(code), "dict.ltr.txt")).Select(l => l.Split(' ')[0]).ToHashSet();
            var language = LanguageProfiles.All[code];
            Assert.Equal(language.Alphabet.Length + 1 + (language.KeepsApostrophe ? 1 : 0), dictionary.Count);
            var manifest = Manifest.Read(LanguageDirectory(code), "all");
            CorpusChecks.AssertTranscriptsRoundTrip(manifest, dictionary, language);
        }
    }

    [Fact]
    public void BuildAsync_Split_TrainRealAndTestDisjointByPromptNameAcrossLanguagesAndTogetherAll()
    {
        var train = new HashSet<string>(StringComparer.Ordinal);
        var test = new HashSet<string>(StringComparer.Ordinal);
        foreach (var code in corpus.Options.Languages)
        {
            var trainRows = Manifest.Read(LanguageDirectory(code), "train_real").Rows;
            var testRows = Manifest.Read(LanguageDirectory(code), "test").Rows;
            var all = Manifest.Read(LanguageDirectory(code), "all").Rows;
            Assert.Equal(all.Order(), trainRows.Concat(testRows).Order());
            train.UnionWith(trainRows.Select(r => r.Path));
            test.UnionWith(testRows.Select(r => r.Path));
        }

        // wav/<prompt name>.wav: the same relative path is the same prompt name in every language.
        Assert.NotEmpty(train);
        Assert.NotEmpty(test);
        Assert.Empty(train.Intersect(test));
    }

    [Fact]
    public void BuildAsync_Split_NoTestTranscriptInTrainReal()
    {
        foreach (var code in corpus.Options.Languages)
        {
            var train = Manifest.Read(LanguageDirectory(code), "train_real").Words.ToHashSet(StringComparer.Ordinal);

            Assert.All(Manifest.Read(LanguageDirectory(code), "test").Words, w => Assert.DoesNotContain(w, train));
        }
    }

    [Fact]
    public async Task BuildAsync_SameSeedTwice_IdenticalManifestsAndAudio()
    {
        var output = Path.Combine(corpus.Root, "again");

        await new AsteriskCorpusBuilder().BuildAsync(AsteriskCorpus.OptionsFor(output), null, TestContext.Current.CancellationToken);

        CorpusChecks.AssertSameFiles(corpus.Options.OutputDirectory, output);
    }

    [Fact]
    public async Task BuildAsync_OtherSeed_OtherSplitOfTheSamePrompts()
    {
        var output = Path.Combine(corpus.Root, "seed");
        CorpusChecks.CopyDirectory(corpus.Options.OutputDirectory, output);

        await new AsteriskCorpusBuilder().BuildAsync(AsteriskCorpus.OptionsFor(output) with { Seed = 6 }, null, TestContext.Current.CancellationToken);

        var before = Manifest.Read(LanguageDirectory("en"), "test").Rows;
        var after = Manifest.Read(Path.Combine(output, "asr", "en"), "test").Rows;
        Assert.Equal(Manifest.Read(LanguageDirectory("en"), "all").Rows, Manifest.Read(Path.Combine(output, "asr", "en"), "all").Rows);
        Assert.NotEqual(before.Order(), after.Order());
    }

    [Fact]
    public async Task BuildAsync_AfterDeletingWavs_DecodesExactlyThemAgain()
    {
        var output = Path.Combine(corpus.Root, "resume");
        CorpusChecks.CopyDirectory(corpus.Options.OutputDirectory, output);
        var deleted = CorpusChecks.DeleteFirstWavs(Path.Combine(output, "asr", "fr", "wav"), 2);

        var summary = await new AsteriskCorpusBuilder().BuildAsync(AsteriskCorpus.OptionsFor(output), null, TestContext.Current.CancellationToken);

        CorpusChecks.AssertRebuiltExactly(summary.Progress, deleted);
    }

    [Fact]
    public async Task BuildAsync_MissingPackages_FailedPreconditionNamingTheAptPackages()
    {
        var empty = Directory.CreateDirectory(Path.Combine(corpus.Root, "no-packages")).FullName;
        var options = AsteriskCorpus.OptionsFor(Path.Combine(corpus.Root, "missing")) with
        {
            Languages = ["it"],
            SoundsDirectory = empty,
            DocDirectory = empty,
        };

        var error = await Assert.ThrowsAsync<FailedPreconditionException>(
            () => new AsteriskCorpusBuilder().BuildAsync(options, null, TestContext.Current.CancellationToken));

        Assert.Contains("apt-get install asterisk-core-sounds-it asterisk-core-sounds-it-g722", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_MissingFfmpeg_FailedPreconditionNamingThePackage()
    {
        var options = AsteriskCorpus.OptionsFor(Path.Combine(corpus.Root, "no-ffmpeg")) with { Ffmpeg = "/nonexistent/ffmpeg" };

        var error = await Assert.ThrowsAsync<FailedPreconditionException>(
            () => new AsteriskCorpusBuilder().BuildAsync(options, null, TestContext.Current.CancellationToken));

        Assert.Contains("apt-get install ffmpeg", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_LanguageWithoutProfile_SkippedWithReason()
    {
        var options = AsteriskCorpus.OptionsFor(Path.Combine(corpus.Root, "skip")) with { Languages = ["ja", "en"], MaxPrompts = 1 };

        var summary = await new AsteriskCorpusBuilder().BuildAsync(options, null, TestContext.Current.CancellationToken);

        Assert.Equal(["en"], summary.Languages.Select(l => l.Code));
        Assert.Contains(summary.Skipped, s => s.StartsWith("ja: no language profile", StringComparison.Ordinal));
    }

    [Fact]
    public void BuildAsync_InstalledPackages_DroppedPromptsListedWithReasons()
    {
        foreach (var report in corpus.Summary.Languages)
        {
            var lines = File.ReadAllLines(Path.Combine(LanguageDirectory(report.Code), "dropped.tsv")).Skip(1).ToList();

            // Digits in "press 1" prompts alone drop dozens in every language.
            Assert.True(report.Dropped.GetValueOrDefault(AsteriskDropReason.OutOfVocabulary) > 20);
            Assert.Equal(report.Dropped.Values.Sum(), lines.Count);
            Assert.Contains(lines, l => l.StartsWith("beep\tPlaceholder", StringComparison.Ordinal) || l.StartsWith("beeperr\tPlaceholder", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void TooFast_OneTranscriptTwiceAsFastAsTheRest_OnlyItIsFlagged()
    {
        // "one two three" is 13 characters: 2 s reads at 6.5 characters a second.
        var rows = Enumerable.Range(0, 12)
            .Select(i => ($"p{i}", new ManifestRow($"wav/p{i}.wav", ["one", "two", "three"], null, 32_000 + (i * 800))))
            .Append(("fast", new ManifestRow("wav/fast.wav", ["one", "two", "three", "four", "five", "six"], null, 32_000)))
            .ToList();

        var flagged = AsteriskCorpusBuilder.TooFast(rows);

        Assert.Equal(["fast"], flagged);
    }

    [Fact]
    public void BuildAsync_InstalledPackages_LetterNamesDroppedRealWordsKept()
    {
        var dropped = File.ReadAllLines(Path.Combine(LanguageDirectory("en"), "dropped.tsv"));

        Assert.Contains("letters/w\tLetterName\tw", dropped);
        Assert.DoesNotContain(dropped, l => l.StartsWith("letters/ascii126\t", StringComparison.Ordinal));
    }
}
