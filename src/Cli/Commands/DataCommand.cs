using System.CommandLine;
using System.Globalization;
using S3Router.TrainingService.Data;
using Spectre.Console;

namespace S3Router.Cli.Commands;

/// <summary><c>s3r data synth --output DIR</c>: builds the synthetic speech corpus (ASR, speaker, intent);
/// <c>s3r data asterisk --output DIR</c>: the real-speech ASR set from Debian's Asterisk prompts.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var defaults = new CorpusOptions { OutputDirectory = "." };
        var output = new Option<string>("--output", "-o") { Description = "Output folder", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of every choice", DefaultValueFactory = _ => defaults.Seed };
        var scale = new Option<double>("--scale") { Description = "Multiplies every size (0.01 = smoke test)", DefaultValueFactory = _ => defaults.Scale };
        var tasks = new Option<string[]>("--tasks") { Description = "asr, speaker, intent", DefaultValueFactory = _ => ["asr", "speaker", "intent"], AllowMultipleArgumentsPerToken = true };
        var languages = new Option<string[]>("--languages") { Description = "ASR languages", DefaultValueFactory = _ => [.. defaults.Languages], AllowMultipleArgumentsPerToken = true };
        var engines = new Option<string[]>("--engines") { Description = "espeak, festival, flite", DefaultValueFactory = _ => ["espeak", "festival", "flite"], AllowMultipleArgumentsPerToken = true };
        var fortunes = new Option<string>("--fortunes") { Description = "Root of the fortunes files", DefaultValueFactory = _ => defaults.FortunesDirectory };
        var trainMinutes = new Option<double>("--asr-train-minutes") { Description = "Large ASR train set per language", DefaultValueFactory = _ => defaults.AsrTrainMinutes };
        var smallMinutes = new Option<double>("--asr-small-train-minutes") { Description = "Small ASR train set (inside the large one)", DefaultValueFactory = _ => defaults.AsrSmallTrainMinutes };
        var validMinutes = new Option<double>("--asr-valid-minutes") { Description = "ASR valid set per language", DefaultValueFactory = _ => defaults.AsrValidMinutes };
        var testMinutes = new Option<double>("--asr-test-minutes") { Description = "ASR test set per language", DefaultValueFactory = _ => defaults.AsrTestMinutes };
        var speakers = new Option<int>("--speakers") { Description = "Speakers in the speaker-ID set", DefaultValueFactory = _ => defaults.Speakers };
        var augment = new Option<bool>("--augment") { Description = "Speed/volume/noise/telephone augmentation of training utterances" };
        var speedCopies = new Option<int>("--speed-copies")
        {
            Description = "Extra copies of each ASR and intent training utterance at speeds 0.8-1.3 (new voices; 0-8)",
            DefaultValueFactory = _ => defaults.SpeedCopies,
        };
        var roomCopies = new Option<int>("--room-copies")
        {
            Description = "Extra copies of each ASR and intent training utterance in simulated rooms (reverberation; 0-8)",
            DefaultValueFactory = _ => defaults.RoomCopies,
        };
        var rirDirectory = new Option<DirectoryInfo?>("--rir-dir")
        {
            Description = "Measured room impulse responses (.wav, subfolders too) for the room copies instead of simulated rooms",
        };
        var parallelism = new Option<int>("--parallelism") { Description = "Synthesizer processes at once", DefaultValueFactory = _ => defaults.MaxDegreeOfParallelism };

        var synth = new Command("synth", "Synthesize a corpus: 16 kHz WAV plus fairseq manifests")
        {
            output, seed, scale, tasks, languages, engines, fortunes, trainMinutes, smallMinutes, validMinutes, testMinutes,
            speakers, augment, speedCopies, roomCopies, rirDirectory, parallelism,
        };
        synth.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (!TryParseAll<CorpusTasks>(parse.GetValue(tasks)!, error, out var taskList) || !TryParseAll<SynthEngine>(parse.GetValue(engines)!, error, out var engineList))
            {
                return 2;
            }
            var options = defaults with
            {
                OutputDirectory = Path.GetFullPath(parse.GetValue(output)!),
                Seed = parse.GetValue(seed),
                Scale = parse.GetValue(scale),
                Tasks = taskList.Aggregate(CorpusTasks.None, (all, t) => all | t),
                Languages = Split(parse.GetValue(languages)!),
                Engines = engineList.ToHashSet(),
                FortunesDirectory = parse.GetValue(fortunes)!,
                AsrTrainMinutes = parse.GetValue(trainMinutes),
                AsrSmallTrainMinutes = parse.GetValue(smallMinutes),
                AsrValidMinutes = parse.GetValue(validMinutes),
                AsrTestMinutes = parse.GetValue(testMinutes),
                Speakers = parse.GetValue(speakers),
                Augment = parse.GetValue(augment),
                SpeedCopies = parse.GetValue(speedCopies),
                RoomCopies = parse.GetValue(roomCopies),
                ImpulseResponseDirectory = parse.GetValue(rirDirectory)?.FullName,
                MaxDegreeOfParallelism = parse.GetValue(parallelism),
            };
            CorpusSummary summary;
            try
            {
                summary = await WithProgressAsync(parse, "synthesizing", progress => new CorpusBuilder().BuildAsync(options, progress, ct));
            }
            catch (S3Router.Core.Errors.InvalidInputException ex)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            PrintNotes(parse.InvocationConfiguration.Error, ("warning", summary.Warnings), ("failed", summary.Failures));
            var printed = parse.InvocationConfiguration.Output;
            PrintManifests(printed, options.OutputDirectory, summary.Manifests);
            var p = summary.Progress;
            printed.WriteLine($"{p.Total} files: {p.Synthesized} synthesized, {p.Reused} reused, {p.Failed} failed");
            return p.Failed == 0 ? 0 : 1;
        });
        return new Command("data", "Build training data") { synth, CreateAsterisk() };
    }

    private static Command CreateAsterisk()
    {
        var defaults = new AsteriskOptions { OutputDirectory = "." };
        var output = new Option<string>("--output", "-o") { Description = "Output folder", Required = true };
        var languages = new Option<string[]>("--languages") { Description = "Languages", DefaultValueFactory = _ => [.. defaults.Languages], AllowMultipleArgumentsPerToken = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the train_real/test split", DefaultValueFactory = _ => defaults.Seed };
        var fraction = new Option<double>("--train-fraction") { Description = "Share of prompt names in train_real", DefaultValueFactory = _ => defaults.TrainFraction };
        var maxPrompts = new Option<int?>("--max-prompts") { Description = "Keep only this many prompt names (smoke test)" };
        var sounds = new Option<string>("--sounds") { Description = "Root of the Asterisk voice folders", DefaultValueFactory = _ => defaults.SoundsDirectory };
        var docs = new Option<string>("--doc") { Description = "Root of the package docs holding the transcripts", DefaultValueFactory = _ => defaults.DocDirectory };
        var rirDirectory = new Option<DirectoryInfo?>("--rir-dir")
        {
            Description = "Measured room impulse responses (.wav, subfolders too) for the room copies instead of simulated rooms",
        };
        var parallelism = new Option<int>("--parallelism") { Description = "ffmpeg processes at once", DefaultValueFactory = _ => defaults.MaxDegreeOfParallelism };

        var asterisk = new Command("asterisk", "Real speech: decode Debian's Asterisk prompts (en, es, fr, it, ru) to 16 kHz WAV plus fairseq manifests")
        {
            output, languages, seed, fraction, maxPrompts, sounds, docs, parallelism,
        };
        asterisk.SetAction(async (parse, ct) =>
        {
            var options = defaults with
            {
                OutputDirectory = Path.GetFullPath(parse.GetValue(output)!),
                Languages = Split(parse.GetValue(languages)!),
                Seed = parse.GetValue(seed),
                TrainFraction = parse.GetValue(fraction),
                MaxPrompts = parse.GetValue(maxPrompts),
                SoundsDirectory = parse.GetValue(sounds)!,
                DocDirectory = parse.GetValue(docs)!,
                MaxDegreeOfParallelism = parse.GetValue(parallelism),
            };
            AsteriskSummary summary;
            try
            {
                var builder = new AsteriskCorpusBuilder();
                summary = await WithProgressAsync(parse, "decoding", progress => builder.BuildAsync(options, progress, ct));
            }
            catch (Exception ex) when (ex is S3Router.Core.Errors.InvalidInputException or S3Router.Core.Errors.FailedPreconditionException)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            PrintNotes(parse.InvocationConfiguration.Error, ("skipped", summary.Skipped), ("failed", summary.Failures));
            var printed = parse.InvocationConfiguration.Output;
            PrintManifests(printed, options.OutputDirectory, summary.Manifests);
            foreach (var l in summary.Languages)
            {
                var dropped = l.Dropped.Count == 0 ? "none" : string.Join(", ", l.Dropped.Select(d => $"{d.Value} {d.Key}"));
                printed.WriteLine($"{l.Code} ({l.Voice}): {l.Transcripts} transcripts, {l.Recordings} recordings, {l.Kept} kept; dropped: {dropped}");
            }
            var p = summary.Progress;
            printed.WriteLine($"{p.Total} files: {p.Synthesized} decoded, {p.Reused} reused, {p.Failed} failed");
            return p.Failed == 0 ? 0 : 1;
        });
        return asterisk;
    }

    /// <summary>Each note as <c>kind: note</c> on <paramref name="error"/>, the kinds in the order given.</summary>
    private static void PrintNotes(TextWriter error, params (string Kind, IEnumerable<string> Notes)[] groups)
    {
        foreach (var (kind, notes) in groups)
        {
            foreach (var note in notes)
            {
                error.WriteLine($"{kind}: {note}");
            }
        }
    }

    /// <summary>A line per manifest written: its path under <paramref name="root"/>, utterances and minutes.</summary>
    private static void PrintManifests(TextWriter output, string root, IEnumerable<ManifestSummary> manifests)
    {
        foreach (var manifest in manifests)
        {
            output.WriteLine($"{Path.GetRelativePath(root, manifest.Path),-32} {manifest.Utterances,6} utt  {manifest.Duration.TotalMinutes,7:0.0} min");
        }
    }

    /// <summary>A progress bar on a terminal, plain lines on the invocation's output in logs and pipes.</summary>
    private static async Task<T> WithProgressAsync<T>(ParseResult parse, string title, Func<IProgress<CorpusProgress>, Task<T>> build)
    {
        var console = OutputConsole.Create(parse);
        if (!OutputConsole.IsLive(console))
        {
            return await build(new LineProgress(parse.InvocationConfiguration.Output));
        }
        T result = default!;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(title, autoStart: true, maxValue: 1);
                result = await build(new TaskProgress(task));
            });
        return result;
    }

    private static bool TryParseAll<T>(IEnumerable<string> values, TextWriter error, out List<T> parsed)
        where T : struct, Enum
    {
        // A flags enum's zero member ("none") is no choice: it would select nothing.
        var choices = Enum.GetValues<T>().Where(v => !typeof(T).IsDefined(typeof(FlagsAttribute), false) || Convert.ToInt64(v, CultureInfo.InvariantCulture) != 0)
            .ToDictionary(v => v.ToString().ToLowerInvariant(), StringComparer.OrdinalIgnoreCase);
        parsed = [];
        foreach (var value in Split(values))
        {
            if (!choices.TryGetValue(value, out var one))
            {
                error.WriteLine($"error: unknown value '{value}'; expected one of {string.Join(", ", choices.Keys)}");
                return false;
            }
            parsed.Add(one);
        }
        return true;
    }

    private static string[] Split(IEnumerable<string> values) =>
        [.. values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];

    private sealed class TaskProgress(ProgressTask task) : IProgress<CorpusProgress>
    {
        private readonly Lock _gate = new();

        public void Report(CorpusProgress value)
        {
            lock (_gate)
            {
                task.MaxValue = Math.Max(1, value.Total);
                task.Value = Math.Max(task.Value, value.Done);
                task.Description = $"{value.Synthesized} new, {value.Reused} reused, {value.Failed} failed";
            }
        }
    }

    /// <summary>Plain lines for logs and pipes: one every 5% of the files.</summary>
    private sealed class LineProgress(TextWriter output) : IProgress<CorpusProgress>
    {
        private readonly Lock _gate = new();
        private int _lastPercent = -1;

        public void Report(CorpusProgress value)
        {
            var percent = value.Total == 0 ? 100 : value.Done * 100 / value.Total;
            lock (_gate)
            {
                if (percent / 5 == _lastPercent / 5 && percent != 100)
                {
                    return;
                }
                if (percent == _lastPercent)
                {
                    return;
                }
                _lastPercent = percent;
                // Under the lock: builders report from several workers, and a caller's writer need not be thread-safe.
                output.WriteLine($"[{percent,3}%] {value.Done}/{value.Total} files ({value.Synthesized} new, {value.Reused} reused, {value.Failed} failed)");
            }
        }
    }
}
