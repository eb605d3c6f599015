namespace S3Router.TrainingService.Data;

/// <summary>What <see cref="CorpusBuilder"/> builds. Every size is multiplied by <see cref="Scale"/>.</summary>
public sealed record CorpusOptions
{
    /// <summary>Output folder; <c>asr/</c>, <c>speaker/</c> and <c>intent/</c> are created below it. Required.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Seed of every choice (sentences, voices, pitch, rate, slots, augmentation). Default: 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Multiplies every size below; 0.01 builds a smoke-test corpus. Default: 1, range (0, 100].</summary>
    public double Scale { get; init; } = 1;

    /// <summary>Parts to build. Default: all.</summary>
    public CorpusTasks Tasks { get; init; } = CorpusTasks.All;

    /// <summary>ASR languages (ISO 639-1). Default: cs, de, en, es, it, pl, pt, ru.</summary>
    public IReadOnlyList<string> Languages { get; init; } = LanguageProfiles.DefaultCodes;

    /// <summary>Engines allowed. Default: espeak-ng, festival and flite.</summary>
    public IReadOnlySet<SynthEngine> Engines { get; init; } =
        new HashSet<SynthEngine> { SynthEngine.Espeak, SynthEngine.Festival, SynthEngine.Flite };

    /// <summary>Root of Debian's fortunes files. Default: /usr/share/games/fortunes.</summary>
    public string FortunesDirectory { get; init; } = "/usr/share/games/fortunes";

    /// <summary>Shortest sentence kept, in words. Default: 3.</summary>
    public int MinWords { get; init; } = 3;

    /// <summary>Longest sentence kept, in words. Default: 20.</summary>
    public int MaxWords { get; init; } = 20;

    /// <summary>Large ASR training set per language, in minutes of speech (estimated from text when planning). Default: 60.</summary>
    public double AsrTrainMinutes { get; init; } = 60;

    /// <summary>Small ASR training set per language, a subset of the large one, in minutes. Default: 10.</summary>
    public double AsrSmallTrainMinutes { get; init; } = 10;

    /// <summary>ASR validation set per language, in minutes. Default: 10.</summary>
    public double AsrValidMinutes { get; init; } = 10;

    /// <summary>ASR test set per language, in minutes. Default: 10.</summary>
    public double AsrTestMinutes { get; init; } = 10;

    /// <summary>Speakers in the speaker-identification set; at least 2. Default: 24.</summary>
    public int Speakers { get; init; } = 24;

    /// <summary>Speaker training utterances per speaker. Default: 30.</summary>
    public int SpeakerTrainPerSpeaker { get; init; } = 30;

    /// <summary>Speaker validation utterances per speaker. Default: 5.</summary>
    public int SpeakerValidPerSpeaker { get; init; } = 5;

    /// <summary>Speaker test utterances per speaker. Default: 10.</summary>
    public int SpeakerTestPerSpeaker { get; init; } = 10;

    /// <summary>Intent training utterances per intent and language. Default: 20.</summary>
    public int IntentTrainPerIntent { get; init; } = 20;

    /// <summary>Intent validation utterances per intent and language. Default: 4.</summary>
    public int IntentValidPerIntent { get; init; } = 4;

    /// <summary>Intent test utterances per intent and language, in each of the two test splits (test, test_seen). Default: 6.</summary>
    public int IntentTestPerIntent { get; init; } = 6;

    /// <summary>Augment training utterances (speed, volume, noise, telephone band). Default: false.</summary>
    public bool Augment { get; init; }

    /// <summary>
    /// Extra copies of every ASR and intent training utterance, each played at its own speed in 0.8..1.3 (resampled:
    /// pitch, formants and tempo move together, like another voice). Speaker ID gets none: the shift changes who
    /// speaks. Default: 0. Range: 0-8.
    /// </summary>
    public int SpeedCopies { get; init; }

    /// <summary>
    /// Extra copies of every ASR and intent training utterance, each heard in its own simulated room
    /// (<see cref="RoomReverb"/>: reverberation time 0.15..0.8 s, direct-to-reverberant ratio −3..12 dB). Speaker ID
    /// gets none. Default: 0. Range: 0-8.
    /// </summary>
    public int RoomCopies { get; init; }

    /// <summary>
    /// Folder of measured room impulse responses (<c>.wav</c>, searched in subfolders; any rate, channels averaged): room
    /// copies are heard in these (<see cref="MeasuredRoom"/>), each copy of an utterance in another one, instead of in
    /// synthetic rooms. Needs <see cref="RoomCopies"/> ≥ 1 and at least as many responses. Default: null (synthetic rooms).
    /// </summary>
    public string? ImpulseResponseDirectory { get; init; }

    /// <summary>Synthesizer processes run at once. Default: <see cref="Environment.ProcessorCount"/>.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}
