using System.Collections.Concurrent;
using S3Router.Core.Audio;
using S3Router.Core.Errors;

namespace S3Router.TrainingService.Data;

/// <summary>
/// Builds a synthetic speech corpus (16 kHz mono 16-bit WAV plus fairseq manifests) for ASR, speaker
/// identification and intent classification. Deterministic for a seed; resumable (a WAV that exists is complete,
/// because each is written to a temp file and renamed); synthesizes on <see cref="CorpusOptions.MaxDegreeOfParallelism"/> processes.
/// </summary>
public sealed class CorpusBuilder
{
    private const float PeakLevel = 0.8f;
    private static readonly AudioLimits s_limits = new() { MaxBytes = int.MaxValue, MaxDuration = TimeSpan.FromHours(1) };
    private readonly ISpeechSynthesizer? _synthesizer;

    /// <summary>A builder that calls espeak-ng, festival and flite.</summary>
    public CorpusBuilder()
    {
    }

    internal CorpusBuilder(ISpeechSynthesizer synthesizer) => _synthesizer = synthesizer;

    /// <summary>Builds (or completes) the corpus described by <paramref name="options"/>.</summary>
    /// <exception cref="InvalidInputException">An option is out of range or names an unknown language.</exception>
    public async Task<CorpusSummary> BuildAsync(CorpusOptions options, IProgress<CorpusProgress>? progress, CancellationToken cancellationToken)
    {
        Validate(options);
        var plan = CorpusPlanner.Plan(options, MeasuredRooms(options));
        var synthesizer = _synthesizer ?? new ProcessSpeechSynthesizer(Path.Combine(options.OutputDirectory, ".work"));

        // The same file may serve several splits (train_10min is inside train_1h).
        var files = plan.Splits
            .SelectMany(s => s.Items.Select(i => (Path: Path.GetFullPath(Path.Combine(s.Directory, i.RelativePath)), Item: i)))
            .DistinctBy(f => f.Path, StringComparer.Ordinal)
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        foreach (var folder in files.Select(f => Path.GetDirectoryName(f.Path)!).Distinct(StringComparer.Ordinal))
        {
            Directory.CreateDirectory(folder);
            foreach (var stale in Directory.EnumerateFiles(folder, "*.tmp"))
            {
                File.Delete(stale);
            }
        }

        var samples = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var failures = new ConcurrentBag<string>();
        int synthesized = 0, reused = 0, failed = 0;
        CorpusProgress Snapshot() => new(files.Count, Volatile.Read(ref synthesized), Volatile.Read(ref reused), Volatile.Read(ref failed));
        progress?.Report(Snapshot());

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(files, parallel, async (file, ct) =>
        {
            var existing = TryCount(file.Path);
            if (existing is { } count)
            {
                samples[file.Path] = count;
                Interlocked.Increment(ref reused);
            }
            else
            {
                try
                {
                    samples[file.Path] = await SynthesizeAsync(synthesizer, file.Item, file.Path, options.Seed, ct);
                    Interlocked.Increment(ref synthesized);
                }
                catch (SynthesisException ex)
                {
                    failures.Add($"{file.Path}: {ex.Message}");
                    Interlocked.Increment(ref failed);
                }
            }
            progress?.Report(Snapshot());
        });

        var work = Path.Combine(options.OutputDirectory, ".work");
        if (Directory.Exists(work) && !Directory.EnumerateFileSystemEntries(work).Any())
        {
            Directory.Delete(work);
        }

        var manifests = new List<ManifestSummary>();
        foreach (var split in plan.Splits)
        {
            var rows = split.Items
                .Select(i => (Item: i, Path: Path.GetFullPath(Path.Combine(split.Directory, i.RelativePath))))
                .Where(r => samples.ContainsKey(r.Path))
                .Select(r => (r.Item, samples[r.Path]))
                .OrderBy(r => r.Item.RelativePath, StringComparer.Ordinal)
                .ToList();
            manifests.Add(ManifestWriter.WriteSplit(split, rows));
        }
        foreach (var group in plan.Splits.Where(s => s.Labeled).GroupBy(s => s.Directory, StringComparer.Ordinal))
        {
            ManifestWriter.WriteLabels(group.Key, group.SelectMany(s => s.Items).Select(i => i.Label!));
        }
        foreach (var (directory, alphabet) in plan.LetterDictionaries)
        {
            var training = plan.Splits.Where(s => s.Directory == directory && s.Name == "train_1h").SelectMany(s => s.Items);
            ManifestWriter.WriteLetterDictionary(directory, alphabet, training.Select(i => i.Words));
        }
        return new CorpusSummary(manifests, Snapshot(), [.. failures.Order(StringComparer.Ordinal)], plan.Warnings);
    }

    private static async Task<int> SynthesizeAsync(ISpeechSynthesizer synthesizer, CorpusItem item, string path, int seed, CancellationToken ct)
    {
        var audio = await synthesizer.SynthesizeAsync(item.SpokenText, item.Voice, ct);
        var peak = 0f;
        foreach (var s in audio)
        {
            peak = Math.Max(peak, Math.Abs(s));
        }
        if (audio.Length == 0 || peak == 0)
        {
            throw new SynthesisException($"{item.Voice.Key} produced silence for \"{item.SpokenText}\"");
        }
        // Engines differ in loudness by 20 dB; a common peak level keeps that out of the data.
        for (var i = 0; i < audio.Length; i++)
        {
            audio[i] *= PeakLevel / peak;
        }
        if (item.Augmentation is { } augmentation)
        {
            audio = augmentation.Apply(audio, StableHash.Random(seed, "noise", item.RelativePath));
        }
        var temp = path + ".tmp";
        await File.WriteAllBytesAsync(temp, WavWriter.Write(audio, AudioDecoder.TargetSampleRateHertz), ct);
        File.Move(temp, path, overwrite: true);
        return audio.Length;
    }

    /// <summary>The sample count of a finished WAV, or null when it is missing or unreadable (then it is made again).</summary>
    internal static int? TryCount(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return WavReader.Read(File.ReadAllBytes(path), s_limits).Samples.Length;
        }
        catch (AudioFormatException)
        {
            return null;
        }
    }

    /// <summary>The measured rooms of <see cref="CorpusOptions.ImpulseResponseDirectory"/>, enough for the room copies; null without one.</summary>
    internal static IReadOnlyList<MeasuredRoom>? MeasuredRooms(CorpusOptions options)
    {
        if (options.ImpulseResponseDirectory is not { } directory)
        {
            return null;
        }
        if (options.RoomCopies == 0)
        {
            throw new InvalidInputException("an impulse response folder (rir-dir) is for room copies: set room-copies to 1 or more", "room-copies");
        }
        var rooms = MeasuredRoom.Load(directory);
        if (rooms.Count < options.RoomCopies)
        {
            throw new InvalidInputException(
                $"{options.RoomCopies} room copies need as many impulse responses, '{directory}' holds {rooms.Count}", "room-copies");
        }
        return rooms;
    }

    private static void Validate(CorpusOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.OutputDirectory))
        {
            throw new InvalidInputException("an output directory is required", "output");
        }
        if (!(options.Scale > 0 && options.Scale <= 100))
        {
            throw new InvalidInputException($"scale must be in (0, 100], got {options.Scale}", "scale");
        }
        var unknown = options.Languages.Where(l => !LanguageProfiles.All.ContainsKey(l)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidInputException(
                $"unknown language(s) {string.Join(", ", unknown)}; supported: {string.Join(", ", LanguageProfiles.DefaultCodes)}", "languages");
        }
        if (options.MinWords < 1 || options.MaxWords < options.MinWords)
        {
            throw new InvalidInputException($"word limits must satisfy 1 <= min <= max, got {options.MinWords}..{options.MaxWords}", "min-words");
        }
        if (options.SpeedCopies is < 0 or > 8)
        {
            throw new InvalidInputException($"speed copies must be in 0..8, got {options.SpeedCopies}", "speed-copies");
        }
        if (options.RoomCopies is < 0 or > 8)
        {
            throw new InvalidInputException($"room copies must be in 0..8, got {options.RoomCopies}", "room-copies");
        }
        if (options.Speakers < 2)
        {
            throw new InvalidInputException($"at least 2 speakers are needed, got {options.Speakers}", "speakers");
        }
        if (options.MaxDegreeOfParallelism < 1)
        {
            throw new InvalidInputException($"parallelism must be at least 1, got {options.MaxDegreeOfParallelism}", "parallelism");
        }
        if (options.Engines.Count == 0)
        {
            throw new InvalidInputException("at least one engine is needed", "engines");
        }
        double[] minutes = [options.AsrTrainMinutes, options.AsrSmallTrainMinutes, options.AsrValidMinutes, options.AsrTestMinutes];
        int[] counts = [options.SpeakerTrainPerSpeaker, options.SpeakerValidPerSpeaker, options.SpeakerTestPerSpeaker,
            options.IntentTrainPerIntent, options.IntentValidPerIntent, options.IntentTestPerIntent];
        if (minutes.Any(m => !(m > 0 && m <= 100_000)) || counts.Any(c => c < 1))
        {
            throw new InvalidInputException("every split size must be positive", "sizes");
        }
    }
}
