using S3Router.Core.Audio;
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
            foreach (var (path, samples) in manifest.Rows)
            {
                var wav = WavReader.Read(File.ReadAllBytes(Path.Combine(manifest.Root, path)));
                Assert.Equal((16_000, 1, 16), (wav.SampleRateHertz, wav.ChannelCount, wav.BitsPerSample));
                Assert.Equal(samples, wav.Samples.Length);
                Assert.InRange(wav.Duration.TotalSeconds, 0.3, 30);
            }
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
                var manifest = Manifest.Read(directory, split);
                for (var i = 0; i < manifest.Rows.Count; i++)
                {
                    Assert.Equal(manifest.Words[i].Split(' '), TextNormalizer.FromLetters(manifest.Letters[i]));
                    Assert.All(manifest.Letters[i].Split(' '), symbol => Assert.Contains(symbol, dictionary));
                    Assert.Equal(manifest.Words[i].Split(' '), TextNormalizer.Normalize(manifest.Words[i], LanguageProfiles.All[lang]));
                }
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

        var first = Snapshot(corpus.Options.OutputDirectory);
        var second = Snapshot(output);
        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        foreach (var (name, content) in first)
        {
            Assert.True(content.SequenceEqual(second[name]), $"{name} differs between two builds with one seed");
        }
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
        CopyDirectory(corpus.Options.OutputDirectory, output);
        var wavs = Directory.GetFiles(Path.Combine(output, "asr", "en", "wav")).Order(StringComparer.Ordinal).Take(3).ToList();
        var originals = wavs.ToDictionary(w => w, File.ReadAllBytes);
        wavs.ForEach(File.Delete);
        File.WriteAllBytes(wavs[0] + ".tmp", [1, 2, 3]); // a crash mid-write leaves a temp file behind

        var summary = await new CorpusBuilder().BuildAsync(TinyCorpus.OptionsFor(output), null, TestContext.Current.CancellationToken);

        Assert.Equal(3, summary.Progress.Synthesized);
        Assert.Equal(summary.Progress.Total - 3, summary.Progress.Reused);
        Assert.All(wavs, w => Assert.Equal(originals[w], File.ReadAllBytes(w)));
        Assert.False(File.Exists(wavs[0] + ".tmp"));
    }

    [Fact]
    public async Task BuildAsync_UnknownLanguage_InvalidInput()
    {
        var options = TinyCorpus.OptionsFor(Path.Combine(corpus.Root, "bad")) with { Languages = ["xx"] };

        var error = await Assert.ThrowsAsync<InvalidInputException>(
            () => new CorpusBuilder().BuildAsync(options, null, TestContext.Current.CancellationToken));

        Assert.Contains("xx", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Every manifest and WAV by path relative to the corpus root; the .tsv root line is left out.</summary>
    private static Dictionary<string, byte[]> Snapshot(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f),
            f => f.EndsWith(".tsv", StringComparison.Ordinal)
                ? System.Text.Encoding.UTF8.GetBytes(string.Join('\n', File.ReadAllLines(f).Skip(1)))
                : File.ReadAllBytes(f));

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
