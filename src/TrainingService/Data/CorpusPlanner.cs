namespace S3Router.TrainingService.Data;

/// <summary>
/// Decides every utterance of a corpus from the options alone: sentences, splits, voices, pitch, rate, slots and
/// augmentation. All lists are sorted before a seeded shuffle, and each utterance draws from its own generator
/// seeded by a stable hash of its key, so a plan never depends on enumeration or thread order.
/// </summary>
internal static class CorpusPlanner
{
    private static readonly string[] s_speakerAccents = ["en-029", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-us", "en-us-nyc"];
    private static readonly int[] s_speakerPitches = [28, 40, 52, 64, 76];
    private static readonly int[] s_speakerRates = [140, 160, 180, 200];

    /// <summary>The corpus <paramref name="options"/> describe; room copies are heard in <paramref name="measuredRooms"/> when given, in synthetic rooms otherwise.</summary>
    public static CorpusPlan Plan(CorpusOptions options, IReadOnlyList<MeasuredRoom>? measuredRooms = null)
    {
        var splits = new List<ManifestSplit>();
        var dictionaries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var warnings = new List<string>();
        if (options.Tasks.HasFlag(CorpusTasks.Asr))
        {
            foreach (var code in options.Languages.Order(StringComparer.Ordinal))
            {
                PlanAsr(options, measuredRooms, LanguageProfiles.All[code], splits, dictionaries, warnings);
            }
        }
        if (options.Tasks.HasFlag(CorpusTasks.Speaker))
        {
            PlanSpeaker(options, splits, warnings);
        }
        if (options.Tasks.HasFlag(CorpusTasks.Intent))
        {
            PlanIntent(options, measuredRooms, splits);
        }
        return new CorpusPlan(splits, dictionaries, warnings);
    }

    private static void PlanAsr(CorpusOptions options, IReadOnlyList<MeasuredRoom>? measuredRooms, LanguageProfile language, List<ManifestSplit> splits,
        SortedDictionary<string, string> dictionaries, List<string> warnings)
    {
        var directory = Path.Combine(options.OutputDirectory, "asr", language.Code);
        var sentences = SentenceSource.Load(options, language);
        var shuffled = StableHash.Shuffle(sentences, StableHash.Random(options.Seed, "asr", language.Code, "sentences"));
        var (train, valid, test) = Pools(options, language, "asr", language.Code);

        var position = 0;
        List<string[]> Take(double minutes, string split)
        {
            var seconds = minutes * 60 * options.Scale;
            var taken = new List<string[]>();
            var total = 0.0;
            while (position < shuffled.Count && (taken.Count == 0 || total < seconds))
            {
                taken.Add(shuffled[position]);
                total += SentenceSource.EstimateSeconds(shuffled[position]);
                position++;
            }
            if (total < seconds)
            {
                warnings.Add($"asr/{language.Code}/{split}: only {total / 60:0.#} of {seconds / 60:0.#} minutes of sentences available");
            }
            return taken;
        }

        // Test and valid take their sentences first, so no training sentence can reach them.
        var testSentences = Take(options.AsrTestMinutes, "test");
        var validSentences = Take(options.AsrValidMinutes, "valid");
        var trainSentences = Take(options.AsrTrainMinutes, "train_1h");

        CorpusItem Item(string[] words, VoicePool pool, string split)
        {
            var random = StableHash.Random(options.Seed, "asr", language.Code, split, string.Join(' ', words));
            var voice = pool.Draw(language.EspeakVoice, random);
            var augmentation = options.Augment && split == "train" ? Augmentation.Draw(random) : null;
            return CorpusItem.Create(words, voice, null, augmentation);
        }

        var trainItems = trainSentences.Select(s => Item(s, train, "train")).ToList();
        // The 10-minute set is the head of the 1-hour set, as Libri-light nests its 10 min in its 1 h.
        var smallItems = new List<CorpusItem>();
        var smallSeconds = 0.0;
        foreach (var item in trainItems)
        {
            if (smallItems.Count > 0 && smallSeconds >= options.AsrSmallTrainMinutes * 60 * options.Scale)
            {
                break;
            }
            smallItems.Add(item);
            smallSeconds += SentenceSource.EstimateSeconds(item.Words);
        }
        // A copy is drawn from its original's file name, so the 10-minute set's copies are the 1-hour set's too.
        splits.Add(new ManifestSplit(directory, "train_10min", WithCopies(smallItems, options, measuredRooms), false));
        splits.Add(new ManifestSplit(directory, "train_1h", WithCopies(trainItems, options, measuredRooms), false));
        splits.Add(new ManifestSplit(directory, "valid", validSentences.Select(s => Item(s, valid, "valid")).ToList(), false));
        splits.Add(new ManifestSplit(directory, "test", testSentences.Select(s => Item(s, test, "test")).ToList(), false));
        dictionaries[directory] = language.Alphabet + (language.KeepsApostrophe ? "'" : "");
    }

    private static (VoicePool Train, VoicePool Valid, VoicePool Test) Pools(
        CorpusOptions options, LanguageProfile language, string task, string scope)
    {
        var espeak = options.Engines.Contains(SynthEngine.Espeak) ? EspeakVariants.Voices : [];
        var others = language.ExtraVoices.Where(v => options.Engines.Contains(v.Engine));
        return VoicePool.Partition(espeak, others, StableHash.Random(options.Seed, task, scope, "voices"));
    }

    private static void PlanSpeaker(CorpusOptions options, List<ManifestSplit> splits, List<string> warnings)
    {
        var directory = Path.Combine(options.OutputDirectory, "speaker");
        var english = LanguageProfiles.All["en"];
        var sentences = StableHash.Shuffle(SentenceSource.Load(options, english), StableHash.Random(options.Seed, "speaker", "sentences"));
        if (sentences.Count < 3)
        {
            warnings.Add("speaker: fewer than three English sentences; the speaker set is skipped");
            return;
        }
        // Held-out sentences: test and valid draw from their own slices of the sentence list.
        var testPool = sentences.Take(Math.Max(1, sentences.Count / 5)).ToList();
        var validPool = sentences.Skip(testPool.Count).Take(Math.Max(1, sentences.Count / 10)).ToList();
        var trainPool = sentences.Skip(testPool.Count + validPool.Count).ToList();

        var speakers = Speakers(options);
        if (speakers.Count < options.Speakers)
        {
            warnings.Add($"speaker: only {speakers.Count} of {options.Speakers} speakers with the chosen engines");
        }
        foreach (var (split, pool, perSpeaker) in new[]
        {
            ("train", trainPool, options.SpeakerTrainPerSpeaker),
            ("valid", validPool, options.SpeakerValidPerSpeaker),
            ("test", testPool, options.SpeakerTestPerSpeaker),
        })
        {
            var items = new List<CorpusItem>();
            foreach (var (label, voice) in speakers)
            {
                var random = StableHash.Random(options.Seed, "speaker", split, label);
                var order = StableHash.Shuffle(Enumerable.Range(0, pool.Count), random);
                for (var k = 0; k < Count(perSpeaker, options); k++)
                {
                    var words = pool[order[k % order.Count]];
                    // A little jitter around the speaker's own pitch and rate, as one person varies.
                    var rendition = voice with
                    {
                        Pitch = Math.Clamp(voice.Pitch + random.Next(-2, 3), 0, 99),
                        Rate = voice.Rate + random.Next(-6, 7),
                    };
                    var augmentation = options.Augment && split == "train" ? Augmentation.Draw(random) : null;
                    items.Add(CorpusItem.Create(words, rendition, label, augmentation));
                }
            }
            splits.Add(new ManifestSplit(directory, split, items, true));
        }
    }

    /// <summary>
    /// Speakers apart in more than pitch: the other engines' English speakers first (one voice per person), then
    /// espeak-ng variants, each with its own accent, pitch and rate.
    /// </summary>
    public static IReadOnlyList<(string Label, VoiceRendition Voice)> Speakers(CorpusOptions options)
    {
        var result = new List<(string, VoiceRendition)>();
        var english = LanguageProfiles.All["en"];
        foreach (var group in english.ExtraVoices.Where(v => options.Engines.Contains(v.Engine))
                     .GroupBy(v => v.Speaker, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            // flite's kal and festival's kal_diphone are one person; flite is preferred (faster).
            var voice = group.OrderBy(v => v.Engine == SynthEngine.Flite ? 0 : 1).First();
            result.Add(($"{voice.Tag}", new VoiceRendition(voice, "en-us", 50, 175)));
        }
        if (options.Engines.Contains(SynthEngine.Espeak))
        {
            var random = StableHash.Random(options.Seed, "speaker", "voices");
            var variants = StableHash.Shuffle(EspeakVariants.Voices, random);
            for (var i = 0; result.Count < options.Speakers && i < variants.Count; i++)
            {
                var accent = s_speakerAccents[i % s_speakerAccents.Length];
                var pitch = s_speakerPitches[random.Next(s_speakerPitches.Length)];
                var rate = s_speakerRates[random.Next(s_speakerRates.Length)];
                var voice = variants[i];
                result.Add(($"{voice.Tag}-{accent}-p{pitch}-s{rate}", new VoiceRendition(voice, accent, pitch, rate)));
            }
        }
        return [.. result.Take(options.Speakers).OrderBy(s => s.Item1, StringComparer.Ordinal)];
    }

    private static void PlanIntent(CorpusOptions options, IReadOnlyList<MeasuredRoom>? measuredRooms, List<ManifestSplit> splits)
    {
        var directory = Path.Combine(options.OutputDirectory, "intent");
        var items = new Dictionary<string, List<CorpusItem>>(StringComparer.Ordinal)
        {
            ["train"] = [], ["valid"] = [], ["test"] = [], ["test_seen"] = [],
        };
        foreach (var code in IntentCatalog.Languages)
        {
            var language = LanguageProfiles.All[code];
            // One voice split for all intent languages: a variant held out in Spanish is not heard in English training.
            var (train, valid, test) = Pools(options, language, "intent", "all");
            foreach (var intent in IntentCatalog.Intents)
            {
                var templates = IntentCatalog.Templates[code][intent];
                // The last template is never heard in training or validation. test_seen is the test voices on the
                // training templates: the protocol of SUPERB's intent task (Fluent Speech Commands: new speakers,
                // known phrasings), beside test's stricter new word order.
                var seen = templates[..^1];
                foreach (var (split, pool, count, choices) in new[]
                {
                    ("train", train, options.IntentTrainPerIntent, seen),
                    ("valid", valid, options.IntentValidPerIntent, seen),
                    ("test", test, options.IntentTestPerIntent, templates[^1..]),
                    ("test_seen", test, options.IntentTestPerIntent, seen),
                })
                {
                    if (pool.IsEmpty)
                    {
                        continue;
                    }
                    for (var k = 0; k < Count(count, options); k++)
                    {
                        var random = StableHash.Random(options.Seed, "intent", code, intent, split,
                            k.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        var text = IntentCatalog.Fill(code, choices[random.Next(choices.Length)], random);
                        var words = TextNormalizer.Normalize(text, language)
                            ?? throw new InvalidOperationException($"intent template '{text}' does not fit the {code} alphabet");
                        var voice = pool.Draw(language.EspeakVoice, random);
                        var augmentation = options.Augment && split == "train" ? Augmentation.Draw(random) : null;
                        items[split].Add(CorpusItem.Create(words, voice, intent, augmentation));
                    }
                }
            }
        }
        items["train"] = WithCopies(items["train"], options, measuredRooms);
        foreach (var split in new[] { "train", "valid", "test", "test_seen" })
        {
            splits.Add(new ManifestSplit(directory, split, items[split], true));
        }
    }

    /// <summary>
    /// Each item followed by its <see cref="CorpusOptions.SpeedCopies"/> copies at other speeds, then its
    /// <see cref="CorpusOptions.RoomCopies"/> copies in rooms (at its own speed): different synthetic rooms, or different
    /// ones of <paramref name="measuredRooms"/> when given (the caller makes sure there are enough).
    /// </summary>
    private static List<CorpusItem> WithCopies(List<CorpusItem> items, CorpusOptions options, IReadOnlyList<MeasuredRoom>? measuredRooms)
    {
        if (options.SpeedCopies == 0 && options.RoomCopies == 0)
        {
            return items;
        }
        var result = new List<CorpusItem>(items.Count * (1 + options.SpeedCopies + options.RoomCopies));
        foreach (var item in items)
        {
            result.Add(item);
            var effects = item.Augmentation ?? Augmentation.None;
            // A copy keeps the original's other effects; its speed or room replaces the original's.
            foreach (var speed in Augmentation.DrawCopySpeeds(options.SpeedCopies, StableHash.Random(options.Seed, "speed-copies", item.RelativePath)))
            {
                result.Add(CorpusItem.Create(item.Words, item.Voice, item.Label, effects with { Speed = speed }));
            }
            var rooms = new List<Room>(options.RoomCopies);
            var random = StableHash.Random(options.Seed, "room-copies", item.RelativePath);
            while (rooms.Count < options.RoomCopies)
            {
                Room room = measuredRooms is { Count: > 0 } ? measuredRooms[random.Next(measuredRooms.Count)] : RoomReverb.Draw(random);
                if (!rooms.Contains(room))
                {
                    rooms.Add(room);
                    result.Add(CorpusItem.Create(item.Words, item.Voice, item.Label, effects with { Room = room }));
                }
            }
        }
        return result;
    }

    private static int Count(int size, CorpusOptions options) => Math.Max(1, (int)Math.Round(size * options.Scale));
}
