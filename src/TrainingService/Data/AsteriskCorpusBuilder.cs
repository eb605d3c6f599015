using System.Collections.Concurrent;
using System.Text;
using S3Router.Core.Errors;

namespace S3Router.TrainingService.Data;

/// <summary>
/// Builds the real-speech ASR set from Debian's Asterisk prompts: one professional speaker per language, decoded
/// from G.722 to 16 kHz mono 16-bit WAV by ffmpeg, transcripts normalized exactly as the synthetic corpus's. Writes
/// per language <c>asr/&lt;lang&gt;/all</c>, <c>train_real</c> and <c>test</c> manifests, <c>dict.ltr.txt</c> and
/// <c>dropped.tsv</c>. The split is by prompt name, and a prompt name means the same content in every language,
/// so no name (nor any name sharing a transcript with it) in <c>test</c> is in <c>train_real</c> in any language.
/// Deterministic for a seed; resumable (a WAV that exists is complete: each is decoded to a temp file and renamed).
/// </summary>
public sealed class AsteriskCorpusBuilder
{
    private const string AllSplit = "all";
    private const string TrainSplit = "train_real";
    private const string TestSplit = "test";
    private const double MaxRateOverMedian = 1.6;

    /// <summary>Builds (or completes) the corpus described by <paramref name="options"/>.</summary>
    /// <exception cref="InvalidInputException">An option is out of range.</exception>
    /// <exception cref="FailedPreconditionException">ffmpeg or an Asterisk package is not installed; the message names the apt packages.</exception>
    public async Task<AsteriskSummary> BuildAsync(AsteriskOptions options, IProgress<CorpusProgress>? progress, CancellationToken cancellationToken)
    {
        Validate(options);
        var skipped = new List<string>();
        var codes = new List<string>();
        foreach (var code in options.Languages.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (LanguageProfiles.All.ContainsKey(code))
            {
                codes.Add(code);
            }
            else
            {
                skipped.Add($"{code}: no language profile (alphabet and normalization) in LanguageProfiles; skipped");
            }
        }
        AsteriskPackages.RequireFfmpeg(options.Ffmpeg);
        var languages = Locate(options, codes);

        // Placeholders and shared transcripts are judged over every installed list, so the split does not depend on
        // which languages one build asks for.
        var reference = LoadReference(options, codes);
        var placeholders = reference.SelectMany(r => r.Value)
            .Where(t => t.Text.Length > 0 && AsteriskTranscripts.IsPlaceholder(t.Text))
            .Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var plans = languages.Select(l => PlanLanguage(l, reference[l.Code], placeholders)).ToList();
        if (options.MaxPrompts is { } max)
        {
            var sample = plans.SelectMany(p => p.Prompts.Select(x => x.Name)).Distinct(StringComparer.Ordinal)
                .OrderBy(n => StableHash.Of("asterisk-sample", n)).ThenBy(n => n, StringComparer.Ordinal)
                .Take(max).ToHashSet(StringComparer.Ordinal);
            plans = [.. plans.Select(p => p with { Prompts = [.. p.Prompts.Where(x => sample.Contains(x.Name))] })];
        }
        var training = TrainingNames(reference, options);

        var files = plans.SelectMany(p => p.Prompts.Select(x => (Source: x.Source, Target: Path.Combine(options.OutputDirectory, "asr", p.Code, x.RelativePath))))
            .OrderBy(f => f.Target, StringComparer.Ordinal).ToList();
        var (samples, failures, final) = await DecodeAllAsync(files, options, progress, cancellationToken);

        var manifests = new List<ManifestSummary>();
        var reports = new List<AsteriskLanguageReport>();
        foreach (var plan in plans)
        {
            var directory = Path.Combine(options.OutputDirectory, "asr", plan.Code);
            var dropped = new SortedDictionary<string, (AsteriskDropReason Reason, string Text)>(plan.Dropped, StringComparer.Ordinal);
            var rows = new List<(string Name, ManifestRow Row)>();
            foreach (var prompt in plan.Prompts)
            {
                if (samples.TryGetValue(Path.Combine(directory, prompt.RelativePath), out var count))
                {
                    rows.Add((prompt.Name, new ManifestRow(prompt.RelativePath, prompt.Words, null, count)));
                }
                else
                {
                    dropped[prompt.Name] = (AsteriskDropReason.DecodeFailed, string.Join(' ', prompt.Words));
                }
            }
            foreach (var name in TooFast(rows.Select(r => (r.Name, r.Row)).ToList()))
            {
                dropped[name] = (AsteriskDropReason.LongerThanRecording, string.Join(' ', rows.Single(r => r.Name == name).Row.Words));
            }
            rows.RemoveAll(r => dropped.ContainsKey(r.Name));
            var train = rows.Where(r => training.Contains(r.Name)).Select(r => r.Row).ToList();
            manifests.Add(ManifestWriter.WriteSplit(directory, AllSplit, labeled: false, [.. rows.Select(r => r.Row)]));
            manifests.Add(ManifestWriter.WriteSplit(directory, TrainSplit, labeled: false, train));
            manifests.Add(ManifestWriter.WriteSplit(directory, TestSplit, labeled: false, [.. rows.Where(r => !training.Contains(r.Name)).Select(r => r.Row)]));
            var language = LanguageProfiles.All[plan.Code];
            ManifestWriter.WriteLetterDictionary(directory, language.Alphabet + (language.KeepsApostrophe ? "'" : ""), train.Select(r => r.Words));
            WriteDropped(directory, dropped);
            reports.Add(new AsteriskLanguageReport(plan.Code, plan.Voice, plan.Transcripts, plan.Recordings, rows.Count,
                dropped.Values.GroupBy(d => d.Reason).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count())));
        }
        return new AsteriskSummary(manifests, final, reports, failures, skipped);
    }

    private static List<(string Code, string Transcripts, string Voice)> Locate(AsteriskOptions options, IReadOnlyList<string> codes)
    {
        var found = new List<(string, string, string)>();
        var missing = new List<string>();
        foreach (var code in codes)
        {
            var transcripts = AsteriskPackages.FindTranscripts(options.DocDirectory, code);
            var voice = AsteriskPackages.FindVoice(options.SoundsDirectory, code);
            if (transcripts is null)
            {
                missing.Add($"{AsteriskPackages.TranscriptPackage(code)} (transcripts, expected {Path.Combine(options.DocDirectory, AsteriskPackages.TranscriptPackage(code), $"core-sounds-{code}.txt.gz")})");
            }
            if (voice is null)
            {
                missing.Add($"{AsteriskPackages.AudioPackage(code)} (audio, expected a {code}_* voice folder of .g722 files in {options.SoundsDirectory})");
            }
            if (transcripts is not null && voice is not null)
            {
                found.Add((code, transcripts, voice));
            }
        }
        if (missing.Count > 0)
        {
            var packages = string.Join(' ', missing.Select(m => m[..m.IndexOf(' ', StringComparison.Ordinal)]));
            throw new FailedPreconditionException(
                $"Asterisk prompt package(s) not installed: {string.Join("; ", missing)}. Install with: apt-get install {packages} (or scripts/setup.sh)");
        }
        return found;
    }

    /// <summary>Every installed transcript list among the requested and the default languages (with a profile).</summary>
    private static Dictionary<string, IReadOnlyList<AsteriskTranscript>> LoadReference(AsteriskOptions options, IReadOnlyList<string> codes)
    {
        var reference = new Dictionary<string, IReadOnlyList<AsteriskTranscript>>(StringComparer.Ordinal);
        foreach (var code in codes.Concat(AsteriskOptions.DefaultLanguages).Distinct(StringComparer.Ordinal).Where(LanguageProfiles.All.ContainsKey))
        {
            if (AsteriskPackages.FindTranscripts(options.DocDirectory, code) is { } path)
            {
                reference[code] = AsteriskTranscripts.Parse(AsteriskTranscripts.ReadFile(path));
            }
        }
        return reference;
    }

    private static LanguagePlan PlanLanguage((string Code, string Transcripts, string Voice) language, IReadOnlyList<AsteriskTranscript> transcripts,
        HashSet<string> placeholders)
    {
        var profile = LanguageProfiles.All[language.Code];
        var recordings = AsteriskPackages.Recordings(language.Voice);
        var prompts = new List<Prompt>();
        var dropped = new Dictionary<string, (AsteriskDropReason, string)>(StringComparer.Ordinal);
        foreach (var transcript in transcripts)
        {
            var (words, reason) = AsteriskTranscripts.Classify(transcript.Text, profile);
            if (reason is null && placeholders.Contains(transcript.Name))
            {
                reason = AsteriskDropReason.Placeholder;
            }
            if (reason is null && transcript.Name.StartsWith("letters/", StringComparison.Ordinal) && words is [{ Length: 1 }])
            {
                reason = AsteriskDropReason.LetterName;
            }
            if (!recordings.TryGetValue(transcript.Name, out var source))
            {
                reason = AsteriskDropReason.NoAudio;
            }
            if (reason is { } why)
            {
                dropped[transcript.Name] = (why, transcript.Text);
            }
            else
            {
                prompts.Add(new Prompt(transcript.Name, source!, $"wav/{transcript.Name}.wav", words!));
            }
        }
        var listed = transcripts.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in recordings.Keys.Where(n => !listed.Contains(n)))
        {
            dropped[name] = (AsteriskDropReason.NoTranscript, "");
        }
        return new LanguagePlan(language.Code, Path.GetFileName(language.Voice), transcripts.Count, recordings.Count,
            [.. prompts.OrderBy(p => p.Name, StringComparer.Ordinal)], dropped);
    }

    /// <summary>
    /// The prompt names of <c>train_real</c>. Names whose normalized transcripts are equal in some language are one
    /// group (conf-adminmenu-162 and conf-adminmenu-18 may read the same), and a group goes to one side as a whole,
    /// drawn by a hash of the seed and its first name.
    /// </summary>
    private static HashSet<string> TrainingNames(Dictionary<string, IReadOnlyList<AsteriskTranscript>> reference, AsteriskOptions options)
    {
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        string Find(string name)
        {
            while (parent.TryGetValue(name, out var up) && up != name)
            {
                name = up;
            }
            return name;
        }
        foreach (var (code, transcripts) in reference)
        {
            var profile = LanguageProfiles.All[code];
            var byText = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var transcript in transcripts)
            {
                parent.TryAdd(transcript.Name, transcript.Name);
                if (AsteriskTranscripts.Classify(transcript.Text, profile).Words is not { } words)
                {
                    continue;
                }
                var text = string.Join(' ', words);
                if (byText.TryGetValue(text, out var other))
                {
                    var (a, b) = (Find(other), Find(transcript.Name));
                    if (string.CompareOrdinal(a, b) > 0)
                    {
                        (a, b) = (b, a);
                    }
                    // The ordinally smaller root wins, so a group's representative is its first name.
                    parent[b] = a;
                }
                else
                {
                    byText[text] = transcript.Name;
                }
            }
        }
        var seed = options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return parent.Keys.Where(name =>
        {
            var draw = (StableHash.Of(seed, "asterisk-split", Find(name)) >> 11) * (1.0 / (1UL << 53));
            return draw < options.TrainFraction;
        }).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Prompts whose transcript reads faster than <see cref="MaxRateOverMedian"/> times the language's
    /// median characters per second (over prompts of at least 1.5 s; the check needs ten of them).</summary>
    internal static IEnumerable<string> TooFast(List<(string Name, ManifestRow Row)> rows)
    {
        static double Seconds(ManifestRow row) => (double)row.Samples / Core.Audio.AudioDecoder.TargetSampleRateHertz;
        static double Rate(ManifestRow row) => (row.Words.Sum(w => w.Length) + row.Words.Count - 1) / Seconds(row);
        var rates = rows.Where(r => Seconds(r.Row) >= 1.5).Select(r => Rate(r.Row)).Order().ToList();
        if (rates.Count < 10)
        {
            return [];
        }
        var median = rates.Count % 2 == 1 ? rates[rates.Count / 2] : (rates[(rates.Count / 2) - 1] + rates[rates.Count / 2]) / 2;
        return [.. rows.Where(r => Rate(r.Row) > MaxRateOverMedian * median).Select(r => r.Name)];
    }

    private static async Task<(ConcurrentDictionary<string, int> Samples, List<string> Failures, CorpusProgress Final)> DecodeAllAsync(
        List<(string Source, string Target)> files, AsteriskOptions options, IProgress<CorpusProgress>? progress, CancellationToken cancellationToken)
    {
        foreach (var folder in files.Select(f => Path.GetDirectoryName(f.Target)!).Distinct(StringComparer.Ordinal))
        {
            Directory.CreateDirectory(folder);
            foreach (var stale in Directory.EnumerateFiles(folder, "*.tmp"))
            {
                File.Delete(stale);
            }
        }
        var samples = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var failures = new ConcurrentBag<string>();
        int decoded = 0, reused = 0, failed = 0;
        CorpusProgress Snapshot() => new(files.Count, Volatile.Read(ref decoded), Volatile.Read(ref reused), Volatile.Read(ref failed));
        progress?.Report(Snapshot());

        var todo = new List<(string Source, string Target)>();
        foreach (var file in files)
        {
            if (CorpusBuilder.TryCount(file.Target) is { } count)
            {
                samples[file.Target] = count;
                reused++;
            }
            else
            {
                todo.Add(file);
            }
        }
        progress?.Report(Snapshot());

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(todo.Chunk(options.FilesPerProcess), parallel, async (batch, ct) =>
        {
            try
            {
                await DecodeAsync(options.Ffmpeg, batch, ct);
            }
            catch (SynthesisException)
            {
                // One bad recording fails the whole process: decode the batch one by one to find it.
                foreach (var file in batch)
                {
                    try
                    {
                        await DecodeAsync(options.Ffmpeg, [file], ct);
                    }
                    catch (SynthesisException ex)
                    {
                        failures.Add($"{file.Source}: {ex.Message}");
                    }
                }
            }
            foreach (var file in batch)
            {
                if (CorpusBuilder.TryCount(file.Target) is { } count)
                {
                    samples[file.Target] = count;
                    Interlocked.Increment(ref decoded);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    if (!failures.Any(f => f.StartsWith(file.Source + ":", StringComparison.Ordinal)))
                    {
                        failures.Add($"{file.Source}: decoded to an empty or unreadable WAV");
                    }
                }
            }
            progress?.Report(Snapshot());
        });
        return (samples, [.. failures.Order(StringComparer.Ordinal)], Snapshot());
    }

    /// <summary>One ffmpeg process for several recordings: G.722 in, 16 kHz mono 16-bit WAV with a bare 44-byte
    /// header out (bitexact, no metadata), each to a temp file renamed when the process succeeds.</summary>
    private static async Task DecodeAsync(string ffmpeg, IReadOnlyList<(string Source, string Target)> batch, CancellationToken ct)
    {
        var arguments = new List<string> { "-nostdin", "-hide_banner", "-loglevel", "error", "-y" };
        foreach (var (source, _) in batch)
        {
            arguments.AddRange(["-f", "g722", "-i", source]);
        }
        for (var i = 0; i < batch.Count; i++)
        {
            arguments.AddRange(["-map", $"{i}:a", "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", "-map_metadata", "-1",
                "-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "wav", batch[i].Target + ".tmp"]);
        }
        try
        {
            await ProcessRunner.RunAsync(ffmpeg, arguments, ct);
        }
        catch
        {
            foreach (var (_, target) in batch)
            {
                File.Delete(target + ".tmp");
            }
            throw;
        }
        foreach (var (_, target) in batch)
        {
            File.Move(target + ".tmp", target, overwrite: true);
        }
    }

    private static void WriteDropped(string directory, SortedDictionary<string, (AsteriskDropReason Reason, string Text)> dropped)
    {
        var text = new StringBuilder("name\treason\ttranscript\n");
        foreach (var (name, (reason, transcript)) in dropped)
        {
            text.Append(name).Append('\t').Append(reason).Append('\t').Append(transcript.Replace('\t', ' ')).Append('\n');
        }
        var path = Path.Combine(directory, "dropped.tsv");
        File.WriteAllText(path + ".tmp", text.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static void Validate(AsteriskOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.OutputDirectory))
        {
            throw new InvalidInputException("an output directory is required", "output");
        }
        if (options.Languages.Count == 0)
        {
            throw new InvalidInputException("at least one language is needed", "languages");
        }
        if (!(options.TrainFraction >= 0 && options.TrainFraction < 1))
        {
            throw new InvalidInputException($"the train fraction must be in [0, 1), got {options.TrainFraction}", "train-fraction");
        }
        if (options.MaxPrompts is < 1)
        {
            throw new InvalidInputException($"max prompts must be at least 1, got {options.MaxPrompts}", "max-prompts");
        }
        if (options.FilesPerProcess < 1 || options.MaxDegreeOfParallelism < 1)
        {
            throw new InvalidInputException("files per process and parallelism must be at least 1", "parallelism");
        }
    }

    private sealed record Prompt(string Name, string Source, string RelativePath, IReadOnlyList<string> Words);

    private sealed record LanguagePlan(string Code, string Voice, int Transcripts, int Recordings, IReadOnlyList<Prompt> Prompts,
        Dictionary<string, (AsteriskDropReason Reason, string Text)> Dropped);
}
