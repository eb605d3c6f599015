using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using S3Router.Api.V1;
using S3Router.Core.Backbones;
using S3Router.TrainingService;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Training;
using S3Router.TrainingService.Training.Scoring;

namespace S3Router.Bench;

/// <summary>
/// The S3-Router quality experiment (issue 6) on an <c>s3r data synth</c> corpus: for each ASR language and training
/// set size, test CER of <c>head</c> (frozen backbone, head only), <c>mask</c> (keep 0.9 of the FFN weights, head
/// trained) and <c>weights</c> (standard finetuning, conv frontend frozen); speaker-ID and intent accuracy with the
/// same three kinds; storage of N routes on one backbone against N finetuned models. Mask and weights jobs start from
/// the same head warm-up (LP-FT) and run the same number of steps. Every job runs as its own process (this program's
/// <c>quality-job</c>) with one libtorch thread, <c>--parallel</c> at a time; a finished job's <c>result.json</c> is
/// reused, so a rerun continues where an interrupted one stopped. With <c>--real-corpus</c> (an <c>s3r data asterisk</c>
/// output), every ASR route of a language the real corpus has is also scored on its real <c>test</c> split; intent
/// routes are also scored on the corpus's <c>test_seen</c> split (held-out voices on the training templates, the
/// protocol of SUPERB's intent task, beside <c>test</c>'s new word order). Each extra score runs in a child process
/// (<c>quality-score</c>, <see cref="RouteEvaluator"/>); its figures join the job's <c>result.json</c> under their
/// prefix (<c>real_test_cer</c>, <c>test_seen_accuracy</c>, ...) and are reused the same way. Intent has a recipe of its
/// own (bench/jobs/intent-conv-max-ensemble.json: a conv_max ensemble head, see bench/README.md); speaker ID uses the
/// classifier recipe of the <c>--classifier-*</c> flags. <c>--tasks</c> and <c>--kinds</c> run a part of the plan.
/// </summary>
internal static class QualityBenchmark
{
    private const string RealPrefix = "real_test";
    private const string SeenPrefix = "test_seen";
    private static readonly string[] Kinds = ["head", "mask", "weights"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var settings = Settings.Parse(args);
        if (settings is null)
        {
            await Console.Error.WriteLineAsync(Settings.Usage);
            return 2;
        }

        if (settings.RealCorpus is { } realCorpus && !Directory.Exists(Path.Combine(realCorpus, "asr")))
        {
            await Console.Error.WriteLineAsync($"error: --real-corpus {realCorpus} has no asr/ folder; build it with: s3r data asterisk -o {realCorpus}");
            return 2;
        }

        var jobs = Plan(settings).ToList();
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"backbone {settings.Backbone}, corpus {settings.Corpus}, {jobs.Count} jobs, {settings.Parallel} at a time, 1 libtorch thread each");
        if (settings.RealCorpus is { } real)
        {
            var languages = jobs.Where(j => j.ExtraScores.Any(e => e.Prefix == RealPrefix)).Select(j => j.Language).Distinct().ToList();
            Console.WriteLine($"real speech: {real}, test split of {(languages.Count > 0 ? string.Join(",", languages) : "no language of this run")}");
        }

        var wall = Stopwatch.StartNew();
        var done = 0;
        using var gate = new SemaphoreSlim(settings.Parallel);
        var results = await Task.WhenAll(jobs.Select(async job =>
        {
            await gate.WaitAsync();
            try
            {
                var result = await RunOrReuseAsync(job, settings);
                foreach (var extra in job.ExtraScores)
                {
                    result = result is null ? null : await ScoreOrReuseAsync(job, settings, result, extra);
                }

                Console.WriteLine($"[{Interlocked.Increment(ref done)}/{jobs.Count}] {job.Name}: {Summary(job, result)} ({wall.Elapsed:hh\\:mm\\:ss})");
                return (job, result);
            }
            finally
            {
                gate.Release();
            }
        }));

        Console.WriteLine();
        Console.WriteLine(Table(results.Where(r => r.result is not null).ToDictionary(r => r.job.Name, r => r.result!), settings));
        Console.WriteLine(Storage(settings));
        Console.WriteLine($"wall time {wall.Elapsed:hh\\:mm\\:ss}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        return results.All(r => r.result is not null) ? 0 : 1;
    }

    /// <summary>The child process: one job, its metrics written to <c>result.json</c> in its work directory.</summary>
    public static async Task<int> RunJobAsync(string specPath, string workDirectory)
    {
        var spec = JsonParser.Default.Parse<JobSpec>(await File.ReadAllTextAsync(specPath));
        var lastReport = Stopwatch.StartNew();
        var result = await StandaloneJob.RunAsync(Path.GetFileName(workDirectory), spec, workDirectory, new TrainingServiceOptions(), progress =>
        {
            if (lastReport.Elapsed > TimeSpan.FromSeconds(30))
            {
                lastReport.Restart();
                Console.Error.WriteLine($"{Path.GetFileName(workDirectory)}: step {progress.Step}/{progress.TotalSteps} loss {progress.Loss:F3}");
            }
        }, runner: null, CancellationToken.None);
        var path = Path.Combine(workDirectory, BenchJobProcess.ResultFile);
        await File.WriteAllTextAsync(path + ".tmp", JsonFormatter.Default.Format(result));
        File.Move(path + ".tmp", path, overwrite: true);
        await File.WriteAllTextAsync(Path.Combine(workDirectory, BenchJobProcess.CpuFile),
            Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>
    /// The child process of an extra score: scores a finished job's route on <paramref name="manifestDir"/>'s
    /// <paramref name="split"/> and adds the metrics, named <c>{prefix}_cer</c>, <c>{prefix}_accuracy</c>, ..., to the
    /// job's <c>result.json</c>.
    /// </summary>
    public static async Task<int> ScoreAsync(string workDirectory, string manifestDir, string split, string prefix)
    {
        var resultPath = Path.Combine(workDirectory, BenchJobProcess.ResultFile);
        var spec = JsonParser.Default.Parse<JobSpec>(await File.ReadAllTextAsync(Path.Combine(workDirectory, "job.json")));
        var result = JsonParser.Default.Parse<JobResult>(await File.ReadAllTextAsync(resultPath));
        var lastReport = Stopwatch.StartNew();
        var score = RouteEvaluator.Evaluate(new RouteScoreRequest
        {
            RoutePath = result.OutputPath,
            BackbonePath = spec.BackbonePath,
            ManifestDir = manifestDir,
            Split = split,
            MaxTokens = spec.Optimization?.MaxTokens is > 0 and var tokens ? tokens : RouteScoreRequest.DefaultMaxTokens,
            MetricPrefix = prefix,
        }, (done, total) =>
        {
            if (lastReport.Elapsed > TimeSpan.FromSeconds(30) || done == total)
            {
                lastReport.Restart();
                Console.Error.WriteLine($"{Path.GetFileName(workDirectory)}: {prefix} {done}/{total} utterances");
            }
        }, CancellationToken.None);
        foreach (var (name, value) in score.Metrics)
        {
            result.Metrics[name] = value;
        }

        result.Metrics[prefix + "_utterances"] = score.Utterances;
        await File.WriteAllTextAsync(resultPath + ".tmp", JsonFormatter.Default.Format(result));
        File.Move(resultPath + ".tmp", resultPath, overwrite: true);
        return 0;
    }

    private static IEnumerable<Job> Plan(Settings settings) =>
        AllJobs(settings).Where(j => settings.Tasks.Contains(j.Task) && settings.Kinds.Contains(j.Kind));

    private static IEnumerable<Job> AllJobs(Settings settings)
    {
        foreach (var size in settings.Sizes)
        {
            foreach (var language in settings.Languages)
            {
                var real = settings.RealCorpus is { } corpus && File.Exists(Path.Combine(corpus, "asr", language, "test.tsv"))
                    ? Path.GetFullPath(Path.Combine(corpus, "asr", language))
                    : null;
                foreach (var kind in Kinds)
                {
                    yield return new Job($"asr-{language}-{size}-{kind}", "asr", language, kind, Path.Combine(settings.Corpus, "asr", language), "train_" + size)
                    {
                        ExtraScores = real is null ? [] : [new ExtraScore(real, "test", RealPrefix)],
                    };
                }
            }
        }

        foreach (var task in new[] { "speaker", "intent" })
        {
            foreach (var kind in Kinds)
            {
                var manifests = Path.Combine(settings.Corpus, task);
                // Corpora synthesized before test_seen existed have only the held-out-template test.
                var seen = task == "intent" && File.Exists(Path.Combine(manifests, SeenPrefix + ".tsv"));
                yield return new Job($"{task}-{kind}", task, task == "speaker" ? "und" : "mul", kind, manifests, "train")
                {
                    ExtraScores = seen ? [new ExtraScore(Path.GetFullPath(manifests), SeenPrefix, SeenPrefix)] : [],
                };
            }
        }
    }

    private static JobSpec Spec(Job job, Settings settings)
    {
        var isCtc = job.Task == "asr";
        var spec = new JobSpec
        {
            Kind = job.Kind switch { "head" => JobKind.Head, "mask" => JobKind.Mask, _ => JobKind.Weights },
            Task = job.Task,
            LanguageCode = job.Language,
            BackbonePath = Path.GetFullPath(settings.Backbone),
            Dataset = new DatasetSpec { ManifestDir = Path.GetFullPath(job.ManifestDir), TrainSplit = job.TrainSplit, LabelExtension = isCtc ? "" : "label" },
            Head = isCtc ? new HeadSpec { Kind = HeadKind.Ctc } : new HeadSpec { Kind = HeadKind.Classifier, Pooling = settings.ClassifierPooling },
            Optimization = new OptimizationSpec
            {
                MaxTokens = isCtc ? 240_000 : 480_000,
                EvalIntervalSteps = 1_000_000,
                CheckpointIntervalSteps = 100,
            },
            Seed = 1,
        };
        // Left unset at the default, so specs of runs before the switch existed compare equal (BenchJobProcess).
        if (!isCtc && settings.ClassifierAdamBeta2 != AdamOptimizer.DefaultBeta2)
        {
            spec.Optimization.AdamBeta2 = settings.ClassifierAdamBeta2;
        }

        // Classifier heads get their own recipe: a linear head over pooled statistics needs more and faster steps than CTC.
        var (headSteps, headLr) = isCtc ? (settings.HeadSteps, settings.HeadLr) : (settings.ClassifierHeadSteps, settings.ClassifierHeadLr);
        if (job.Kind == "head")
        {
            spec.Optimization.MaxSteps = headSteps;
            spec.Optimization.LearningRate = headLr;
        }
        else
        {
            spec.Optimization.MaxSteps = settings.Steps;
            spec.Optimization.LearningRate = job.Kind == "mask" ? settings.MaskLr : settings.WeightsLr;
            spec.Optimization.HeadWarmupSteps = headSteps;
            spec.Optimization.HeadWarmupLearningRate = headLr;
        }

        if (job.Kind == "mask")
        {
            spec.Mask = new MaskSpec { PruneRate = 0.9, InitScore = "weight_rank", Scope = Api.V1.MaskScope.Ffn, TrainableProj = true };
        }

        if (job.Task == "intent")
        {
            ApplyIntentRecipe(spec, settings);
        }

        return spec;
    }

    /// <summary>
    /// Intent's recipe (bench/README.md, "Intent: an ensemble of conv_max heads"; bench/jobs/intent-conv-max-ensemble.json):
    /// a temporal conv_max head (256 channels, kernel 5) with <c>--intent-ensemble</c> members, Adam β2 0.999, head
    /// weight decay 1e-2, lr 2e-3 held flat after a 5 % warm-up for <c>--intent-head-steps</c>, batches of 960,000
    /// samples; mask and weights start from that head and train <c>--steps</c> more (masks at <c>--intent-mask-lr</c>:
    /// the ASR mask rate flips a fitted head's bits wholesale).
    /// </summary>
    private static void ApplyIntentRecipe(JobSpec spec, Settings settings)
    {
        spec.Head = new HeadSpec { Kind = HeadKind.Classifier, Pooling = "conv_max", EnsembleSize = settings.IntentEnsemble > 1 ? settings.IntentEnsemble : 0 };
        var optimization = spec.Optimization;
        optimization.AdamBeta2 = 0.999;
        optimization.HeadWeightDecay = 0.01;
        optimization.MaxTokens = 960_000;
        const double headLr = 2e-3;
        if (spec.Kind == JobKind.Head)
        {
            (optimization.MaxSteps, optimization.LearningRate) = (settings.IntentHeadSteps, headLr);
            (optimization.WarmupFraction, optimization.HoldFraction, optimization.DecayFraction) = (0.05, 0.95, 0);
        }
        else
        {
            (optimization.HeadWarmupSteps, optimization.HeadWarmupLearningRate) = (settings.IntentHeadSteps, headLr);
            optimization.LearningRate = spec.Kind == JobKind.Mask ? settings.IntentMaskLr : settings.WeightsLr;
        }
    }

    private static Task<JobResult?> RunOrReuseAsync(Job job, Settings settings) =>
        BenchJobProcess.RunOrReuseAsync(Spec(job, settings), Path.Combine(settings.Work, job.Name));

    /// <summary>Scores a finished job on an extra split once; later runs find the figures in its result.</summary>
    private static async Task<JobResult> ScoreOrReuseAsync(Job job, Settings settings, JobResult result, ExtraScore extra)
    {
        if (result.Metrics.ContainsKey(extra.Prefix + (job.Task == "asr" ? "_cer" : "_accuracy")))
        {
            return result;
        }

        var directory = Path.GetFullPath(Path.Combine(settings.Work, job.Name));
        var (exitCode, log) = await BenchJobProcess.RunChildAsync(directory, extra.Prefix + ".log", "quality-score", directory, extra.ManifestDir, extra.Split, extra.Prefix);
        if (exitCode != 0)
        {
            // The job's own figures stand; the extra cells stay empty and the reason is in the log.
            Console.WriteLine($"{job.Name}: scoring on {extra.Split} of {extra.ManifestDir} FAILED (exit {exitCode}); see {log}");
            return result;
        }

        return JsonParser.Default.Parse<JobResult>(await File.ReadAllTextAsync(Path.Combine(directory, BenchJobProcess.ResultFile)));
    }

    private static string Summary(Job job, JobResult? result) =>
        result is null ? "failed" : job.Task == "asr"
            ? Invariant($"CER {Metric(result, "test_cer")} (beam {Metric(result, "test_cer_beam")}), WER {Metric(result, "test_wer")}") +
              (result.Metrics.ContainsKey(RealPrefix + "_cer") ? Invariant($"; real speech CER {Metric(result, RealPrefix + "_cer")} (beam {Metric(result, RealPrefix + "_cer_beam")}), WER {Metric(result, RealPrefix + "_wer")}") : "")
            : Invariant($"accuracy {Metric(result, "test_accuracy")}, macro-F1 {Metric(result, "test_macro_f1")}") +
              (result.Metrics.ContainsKey(SeenPrefix + "_accuracy") ? Invariant($"; on the training templates {Metric(result, SeenPrefix + "_accuracy")}") : "");

    private static string Metric(JobResult result, string name) =>
        result.Metrics.TryGetValue(name, out var value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : "–";

    private static string Table(IReadOnlyDictionary<string, JobResult> results, Settings settings)
    {
        var real = settings.RealCorpus is not null;
        var text = new StringBuilder();
        text.AppendLine("| task | train data | head | mask (keep 0.9, FFN) | weights | mask ≤ weights |" +
            (real ? " real: head | real: mask | real: weights | real: mask ≤ weights |" : ""));
        text.AppendLine("|---|---|---|---|---|---|" + (real ? "---|---|---|---|" : ""));
        foreach (var size in settings.Sizes)
        {
            var synthetic = new Wins();
            var spoken = new Wins();
            foreach (var language in settings.Languages)
            {
                string Cell(string kind, string metric) =>
                    results.TryGetValue($"asr-{language}-{size}-{kind}", out var r) ? Metric(r, metric) : "–";
                var hasReal = settings.RealCorpus is { } corpus && File.Exists(Path.Combine(corpus, "asr", language, "test.tsv"));
                var row = $"| ASR {language}, CER | {size} | {Cell("head", "test_cer")} | {Cell("mask", "test_cer")} | {Cell("weights", "test_cer")} | " +
                          $"{synthetic.Compare(Cell("mask", "test_cer"), Cell("weights", "test_cer"))} |";
                if (real && !hasReal)
                {
                    row += " | | | |"; // no real speech in this language
                }
                else if (real)
                {
                    var metric = RealPrefix + "_cer";
                    row += $" {Cell("head", metric)} | {Cell("mask", metric)} | {Cell("weights", metric)} | {spoken.Compare(Cell("mask", metric), Cell("weights", metric))} |";
                }

                text.AppendLine(row);
            }

            text.AppendLine(Invariant($"| ASR, languages where mask ≤ weights | {size} | | | | **{synthetic}** |") +
                (real ? $" | | | **{spoken}** |" : ""));
        }

        foreach (var (task, split, metric) in new[]
                 {
                     ("speaker", "test", "test_accuracy"),
                     ("intent", "test: new word order", "test_accuracy"),
                     ("intent", "test_seen: training templates", SeenPrefix + "_accuracy"),
                 })
        {
            string Cell(string kind) => results.TryGetValue($"{task}-{kind}", out var r) ? Metric(r, metric) : "–";
            text.AppendLine($"| {task}, accuracy on {split} | train | {Cell("head")} | {Cell("mask")} | {Cell("weights")} | |" + (real ? " | | | |" : ""));
        }

        return text.ToString();
    }

    /// <summary>Counts the languages where mask's CER is at most weights' (both known).</summary>
    private sealed class Wins
    {
        private int _wins;
        private int _compared;

        public string Compare(string mask, string weights)
        {
            if (!double.TryParse(mask, CultureInfo.InvariantCulture, out var m) || !double.TryParse(weights, CultureInfo.InvariantCulture, out var w))
            {
                return "";
            }

            _compared++;
            _wins += m <= w ? 1 : 0;
            return m <= w ? "yes" : "no";
        }

        public override string ToString() => Invariant($"{_wins} of {_compared}");
    }

    /// <summary>N routes on one backbone (1 bit per masked weight, fp32 heads) against N finetuned fp32 models, from the shapes.</summary>
    private static string Storage(Settings settings)
    {
        var config = Wav2Vec2ConfigJson.Parse(File.ReadAllText(Path.Combine(settings.Backbone, "config.json")));
        var shapes = BackboneParameterShapes.For(config);
        var backboneParameters = BackboneParameterShapes.CountParameters(config);
        var masked = BackboneParameterShapes.MaskableTensors(config, S3Router.Core.Backbones.MaskScope.FeedForward).Sum(name => shapes[name].Aggregate(1L, (a, d) => a * d));
        var head = (config.HiddenSize + 1) * 32L; // a CTC head over ~32 characters
        var text = new StringBuilder("| routes N | N finetuned models (fp32) | one backbone + N masks (1 bit each) + heads | saving |\n|---|---|---|---|\n");
        foreach (var n in new[] { 1, 3, 11, 100 })
        {
            var models = n * (backboneParameters + head) * 4.0;
            var routes = (backboneParameters * 4.0) + (n * ((masked / 8.0) + (head * 4.0)));
            text.AppendLine(Invariant($"| {n} | {models / 1e6:F1} MB | {routes / 1e6:F1} MB | {100 * (1 - (routes / models)):F1} % |"));
        }

        text.AppendLine(Invariant($"(backbone {backboneParameters / 1e6:F2} M parameters, {masked / 1e6:F2} M of them in masked FFN linears)"));
        return text.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record Job(string Name, string Task, string Language, string Kind, string ManifestDir, string TrainSplit)
    {
        /// <summary>Splits the finished route is also scored on (real speech for ASR, test_seen for intent).</summary>
        public IReadOnlyList<ExtraScore> ExtraScores { get; init; } = [];
    }

    /// <summary>A split a finished route is also scored on; its metrics are named <c>{Prefix}_...</c>.</summary>
    private sealed record ExtraScore(string ManifestDir, string Split, string Prefix);

    private sealed record Settings(
        string Corpus, string Backbone, string Work, IReadOnlyList<string> Languages, IReadOnlyList<string> Sizes,
        int HeadSteps, double HeadLr, int Steps, double MaskLr, double WeightsLr, int Parallel, string? RealCorpus,
        string ClassifierPooling, int ClassifierHeadSteps, double ClassifierHeadLr, double ClassifierAdamBeta2,
        IReadOnlyList<string> Tasks, IReadOnlyList<string> Kinds, int IntentEnsemble, int IntentHeadSteps, double IntentMaskLr)
    {
        public const string Usage =
            "usage: S3Router.Bench quality --corpus DIR [--backbone models/tiny-ssl] [--work .artifacts/quality] [--languages en,de,es,it,pl,ru] " +
            "[--sizes 10min,1h] [--head-steps 2000] [--head-lr 2e-3] [--steps 300] [--mask-lr 1e-3] [--weights-lr 1e-4] [--parallel 2] " +
            "[--classifier-pooling stats|attentive|mean] [--classifier-head-steps 4000] [--classifier-head-lr 1e-2] [--classifier-adam-beta2 0.98] " +
            "[--intent-ensemble 3] [--intent-head-steps 4000] [--intent-mask-lr 5e-4] [--tasks asr,speaker,intent] [--kinds head,mask,weights] " +
            "[--real-corpus DIR (s3r data asterisk output: ASR also scored on its real test split)]";

        public static Settings? Parse(IReadOnlyList<string> args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < args.Count; i += 2)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal))
                {
                    return null;
                }

                values[args[i][2..]] = args[i + 1];
            }

            if (args.Count % 2 != 0 || !values.TryGetValue("corpus", out var corpus))
            {
                return null;
            }

            string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);
            if (!Get("tasks", "asr").Split(',').All(t => t is "asr" or "speaker" or "intent") || !Get("kinds", "head").Split(',').All(QualityBenchmark.Kinds.Contains))
            {
                return null;
            }

            return new Settings(
                corpus,
                Get("backbone", "models/tiny-ssl"),
                Get("work", ".artifacts/quality"),
                Get("languages", "en,de,es,it,pl,ru").Split(','),
                Get("sizes", "10min,1h").Split(','),
                int.Parse(Get("head-steps", "2000"), CultureInfo.InvariantCulture),
                double.Parse(Get("head-lr", "2e-3"), CultureInfo.InvariantCulture),
                int.Parse(Get("steps", "300"), CultureInfo.InvariantCulture),
                double.Parse(Get("mask-lr", "1e-3"), CultureInfo.InvariantCulture),
                double.Parse(Get("weights-lr", "1e-4"), CultureInfo.InvariantCulture),
                int.Parse(Get("parallel", "2"), CultureInfo.InvariantCulture),
                values.GetValueOrDefault("real-corpus"),
                Get("classifier-pooling", "stats"),
                int.Parse(Get("classifier-head-steps", "4000"), CultureInfo.InvariantCulture),
                double.Parse(Get("classifier-head-lr", "1e-2"), CultureInfo.InvariantCulture),
                double.Parse(Get("classifier-adam-beta2", "0.98"), CultureInfo.InvariantCulture),
                Get("tasks", "asr,speaker,intent").Split(','),
                Get("kinds", string.Join(",", QualityBenchmark.Kinds)).Split(','),
                int.Parse(Get("intent-ensemble", "3"), CultureInfo.InvariantCulture),
                int.Parse(Get("intent-head-steps", "4000"), CultureInfo.InvariantCulture),
                double.Parse(Get("intent-mask-lr", "5e-4"), CultureInfo.InvariantCulture));
        }
    }
}
