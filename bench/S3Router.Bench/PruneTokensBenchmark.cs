using System.Diagnostics;
using System.Globalization;
using S3Router.Api.V1;
using S3Router.Core.Audio;
using S3Router.Core.Backbones;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Pruning;
using S3Router.InferenceService.Onnx;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training.Metrics;
using S3Router.TrainingService.Training.Pruning;

namespace S3Router.Bench;

/// <summary>
/// Issue 9: (1) structured pruning at the FLOPs targets of <see cref="PruneTokensSettings.Targets"/> on top of an ASR
/// route: FLOPs (counted), forward time of the physically smaller ONNX graph (measured) and greedy CER, with the route's
/// own head and, when <c>--retrain-steps</c> is set, with a head retrained by a <c>JOB_KIND_STRUCTURED_PRUNE</c> job that
/// starts from the route (<c>start_bundle_path</c>); (2) token dropping on the unpruned route: frames kept, forward time, CER change.
/// Sessions run interleaved per utterance (batch 1), median of the timed rounds, 2 intra-op threads. Prints figures;
/// asserts nothing.
/// </summary>
internal static class PruneTokensBenchmark
{
    private const int IntraOpThreads = 2;

    private static readonly string[] Sentences =
    [
        "the cat sat on the mat", "open the door please", "we went home after the rain", "turn the light off",
        "she sells shells by the sea", "the quick brown fox jumps", "call me in the morning", "a cup of hot tea",
    ];

    private static readonly (string Name, TokenDroppingSettings? Settings)[] Dropping =
    [
        ("none", null),
        ("silence -45 dBFS, margin 1", new TokenDroppingSettings()),
        ("silence -35 dBFS, margin 1", new TokenDroppingSettings { SilenceDbfs = -35 }),
        ("silence -45 dBFS + repeats cos 0.995", new TokenDroppingSettings { RepeatCosine = 0.995 }),
        ("silence -45 dBFS + repeats cos 0.98", new TokenDroppingSettings { RepeatCosine = 0.98 }),
        ("silence -35 dBFS, margin 0 + repeats cos 0.95", new TokenDroppingSettings { SilenceDbfs = -35, MarginFrames = 0, RepeatCosine = 0.95 }),
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        PruneTokensSettings settings;
        try
        {
            settings = PruneTokensSettings.Parse(args);
        }
        catch (InvalidInputException e)
        {
            await Console.Error.WriteLineAsync(e.Message + "\n" + PruneTokensSettings.Usage);
            return 2;
        }

        var root = RepositoryRoot();
        string FromRoot(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(root, path));
        var backboneDir = FromRoot(settings.Backbone);
        var (config, weights) = await BackboneCheckpoint.LoadAsync(backboneDir);
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} cores, load average {LoadAverage()} at start (shared machine)");
        Console.WriteLine($"backbone {backboneDir}; targets {string.Join(", ", settings.Targets.Select(Invariant))}; {settings.Rounds} timed rounds; {IntraOpThreads} intra-op threads");

        var runs = settings.Runs().Select(r => (Name: r.Language.Length > 0 ? r.Language : "route", Route: FromRoot(r.Route),
            ManifestDir: r.ManifestDir is null ? null : FromRoot(r.ManifestDir))).ToList();
        var retrained = new Dictionary<(string Run, double Target), (MaskBundle Bundle, double CpuSeconds)>();
        if (settings.RetrainSteps > 0)
        {
            // All jobs first, so none of them shares the CPU with the timed passes.
            Console.WriteLine($"retraining: load average {LoadAverage()} before");
            var wall = Stopwatch.StartNew();
            using var gate = new SemaphoreSlim(settings.Parallel);
            var jobs = new List<Task>();
            foreach (var run in runs)
            {
                var route = MaskBundle.Read(run.Route);
                foreach (var target in settings.Targets)
                {
                    jobs.Add(RetrainAsync(run.Name, route, run.Route, run.ManifestDir!, target));
                }
            }

            await Task.WhenAll(jobs);
            Console.WriteLine(Invariant($"retraining: {retrained.Count} jobs, {retrained.Values.Sum(r => r.CpuSeconds) / 60:F1} CPU minutes in all, wall {wall.Elapsed.TotalMinutes:F1} min; load average {LoadAverage()} after"));

            async Task RetrainAsync(string runName, MaskBundle route, string routePath, string manifestDir, double target)
            {
                await gate.WaitAsync();
                try
                {
                    // "from-route": these jobs start from the route's head, unlike the earlier fresh-head runs that may sit beside them.
                    var directory = Path.Combine(FromRoot(settings.Work), runName, Invariant($"structured-{target:F2}-{settings.RetrainSteps}steps-from-route"));
                    var reused = File.Exists(Path.Combine(directory, BenchJobProcess.ResultFile));
                    var result = await BenchJobProcess.RunOrReuseAsync(RetrainSpec(settings, route, routePath, manifestDir, backboneDir, target), directory);
                    if (result is not null)
                    {
                        var cpuPath = Path.Combine(directory, BenchJobProcess.CpuFile);
                        var cpu = File.Exists(cpuPath) ? double.Parse(await File.ReadAllTextAsync(cpuPath), CultureInfo.InvariantCulture) : 0;
                        lock (retrained)
                        {
                            retrained[(runName, target)] = (MaskBundle.Read(result.OutputPath), cpu);
                        }

                        Console.WriteLine(Invariant($"  {runName} target {target:F2}: test CER {result.Metrics.GetValueOrDefault("test_cer"):F3}, {cpu:F0} CPU s{(reused ? " (reused)" : "")}"));
                    }
                }
                finally
                {
                    gate.Release();
                }
            }
        }

        foreach (var run in runs)
        {
            var route = MaskBundle.Read(run.Route);
            var audio = run.ManifestDir is null ? Speech() : BenchUtterances.Load(run.ManifestDir, settings.Split, settings.Limit);
            Console.WriteLine();
            Console.WriteLine($"## {run.Name}: route {run.Route} (task {route.Task}, language {route.Language}, job test CER {Metric(route, "test_cer")})");
            Console.WriteLine(run.ManifestDir is null
                ? Invariant($"speech: {audio.Count} espeak-ng utterances (en) with pauses, {audio.Sum(a => a.Samples.Length) / 16000.0:F1} s")
                : Invariant($"speech: {run.ManifestDir} split {settings.Split}, {audio.Count} utterances, {audio.Sum(a => a.Samples.Length) / 16000.0:F1} s; load average {LoadAverage()}"));
            Pruning(settings, config, weights, route, audio, settings.Targets.ToDictionary(t => t, t => retrained.TryGetValue((run.Name, t), out var r) ? r.Bundle : null));
            TokenDropping(settings, config, weights, route, audio);
            Console.WriteLine($"load average {LoadAverage()} after {run.Name}");
        }

        return 0;
    }

    /// <summary>Structured pruning on top of the route's masks: one ONNX session per target, the route's head and the retrained one.</summary>
    private static void Pruning(
        PruneTokensSettings settings, Wav2Vec2Config config, Dictionary<string, WeightTensor> weights, MaskBundle route,
        List<(float[] Samples, string Text)> audio, Dictionary<double, MaskBundle?> retrained)
    {
        var routeMasks = RouteMasks(route);
        var masked = MaskedWeights(weights, routeMasks).ToDictionary(w => Strip(w.Key), w => new HostTensor(w.Value.Data, w.Value.Shape), StringComparer.Ordinal);
        var fullFlops = BackboneCompute.ForwardFlops(config, StructuredShape.Full(config), StructuredPruner.ReferenceSamples);
        var engine = new OnnxEngineOptions { IntraOpThreads = IntraOpThreads };
        var routeHead = CtcHeadWeights.From(route);
        var rows = new List<(double Target, string Shape, double Flops, long Parameters, int Session, int RetrainedSession, int RetrainedHead)>();
        var sessions = new List<(OnnxBackboneSession Session, List<CtcHeadWeights> Heads)>();
        foreach (var target in settings.Targets)
        {
            // The selection ranks the route's masked weights W * M, as the retraining job does after applying the route.
            var structured = StructuredPruner.Masks(config, StructuredPruner.Select(config, masked, target));
            var masks = Combine(routeMasks, structured);
            var shape = Wav2Vec2OnnxBuilder.KeptStructure(config, weights, masks);
            sessions.Add((OnnxBackboneSession.Create(config, weights, masks, new OnnxBuildOptions(), engine), [routeHead]));
            var session = sessions.Count - 1;
            var (retrainedSession, retrainedHead) = (-1, -1);
            if (retrained.GetValueOrDefault(target) is { } job)
            {
                // The job's masks are the route's AND its structures.
                var jobMasks = RouteMasks(job);
                if (SameMasks(masks, jobMasks))
                {
                    sessions[session].Heads.Add(CtcHeadWeights.From(job));
                    (retrainedSession, retrainedHead) = (session, 1);
                }
                else
                {
                    Console.WriteLine(Invariant($"note: target {target:F2}: the job selected other structures than the bench; its head runs in its own session"));
                    sessions.Add((OnnxBackboneSession.Create(config, weights, jobMasks, new OnnxBuildOptions(), engine), [CtcHeadWeights.From(job)]));
                    (retrainedSession, retrainedHead) = (sessions.Count - 1, 0);
                }
            }

            rows.Add((target, $"heads [{Runs(shape.Heads)}] ffn [{Runs(shape.FfnUnits)}] conv [{Runs(shape.ConvChannels)}]",
                BackboneCompute.ForwardFlops(config, shape, StructuredPruner.ReferenceSamples), BackboneCompute.Parameters(config, shape), session, retrainedSession, retrainedHead));
        }

        var measured = Measure(sessions, audio, settings.Rounds);
        var reference = measured.Seconds[rows[0].Session];
        Console.WriteLine();
        Console.WriteLine("| FLOPs target | structure kept | FLOPs kept (10 s) | params | forward, all utterances (s) | time kept | CER, route head | CER, head retrained | job's test CER (TorchSharp) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            var retrainedCer = row.RetrainedSession < 0 ? "–" : Invariant($"{measured.Errors[row.RetrainedSession][row.RetrainedHead].CharacterErrorRate:F3}");
            var jobCer = retrained.GetValueOrDefault(row.Target) is { } job ? Metric(job, "test_cer") : "–";
            Console.WriteLine(Invariant(
                $"| {row.Target:F2} | {row.Shape} | {row.Flops / fullFlops:F3} | {row.Parameters / 1e6:F2} M | {measured.Seconds[row.Session]:F2} | {measured.Seconds[row.Session] / reference:F3} | {measured.Errors[row.Session][0].CharacterErrorRate:F3} | {retrainedCer} | {jobCer} |"));
        }

        sessions.ForEach(s => s.Session.Dispose());
    }

    /// <summary>Token dropping on the unpruned route, its own head.</summary>
    private static void TokenDropping(
        PruneTokensSettings settings, Wav2Vec2Config config, Dictionary<string, WeightTensor> weights, MaskBundle route, List<(float[] Samples, string Text)> audio)
    {
        var engine = new OnnxEngineOptions { IntraOpThreads = IntraOpThreads };
        var head = CtcHeadWeights.From(route);
        var sessions = Dropping.Select(d => (OnnxBackboneSession.Create(config, weights, RouteMasks(route), new OnnxBuildOptions { TokenDropping = d.Settings }, engine), new List<CtcHeadWeights> { head })).ToList();
        var measured = Measure(sessions, audio, settings.Rounds);
        var total = audio.Sum(a => Wav2Vec2OnnxBuilder.OutputFrames(config, a.Samples.Length));
        var baseline = measured.Errors[0][0].CharacterErrorRate;
        Console.WriteLine();
        Console.WriteLine("| token dropping (unpruned route) | frames kept | forward, all utterances (s) | speedup | CER | CER change |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (var i = 0; i < sessions.Count; i++)
        {
            var cer = measured.Errors[i][0].CharacterErrorRate;
            Console.WriteLine(Invariant(
                $"| {Dropping[i].Name} | {measured.Frames[i]}/{total} ({(double)measured.Frames[i] / total:F3}) | {measured.Seconds[i]:F2} | {measured.Seconds[0] / measured.Seconds[i]:F2}x | {cer:F3} | {cer - baseline:+0.000;-0.000;0.000} |"));
            sessions[i].Item1.Dispose();
        }
    }

    /// <summary>
    /// One pass over the utterances: each utterance runs through every session in turn, <paramref name="rounds"/> times
    /// (the median counts toward the session's total seconds); the first round's output is decoded by each head.
    /// </summary>
    private static (double[] Seconds, long[] Frames, ErrorRateAccumulator[][] Errors) Measure(
        List<(OnnxBackboneSession Session, List<CtcHeadWeights> Heads)> sessions, List<(float[] Samples, string Text)> audio, int rounds)
    {
        var seconds = new double[sessions.Count];
        var frames = new long[sessions.Count];
        var errors = sessions.Select(s => s.Heads.Select(_ => new ErrorRateAccumulator()).ToArray()).ToArray();
        foreach (var (session, _) in sessions)
        {
            session.RunFrames([audio[0].Samples]); // warm-up
        }

        foreach (var (samples, text) in audio)
        {
            var times = sessions.Select(_ => new double[rounds]).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var s = 0; s < sessions.Count; s++)
                {
                    var watch = Stopwatch.StartNew();
                    var hidden = sessions[s].Session.RunFrames([samples])[0].Hidden;
                    times[s][round] = watch.Elapsed.TotalSeconds;
                    if (round == 0)
                    {
                        frames[s] += hidden.GetLength(0);
                        for (var h = 0; h < sessions[s].Heads.Count; h++)
                        {
                            errors[s][h].Add(text, sessions[s].Heads[h].Greedy(hidden));
                        }
                    }
                }
            }

            for (var s = 0; s < sessions.Count; s++)
            {
                seconds[s] += times[s].Order().ElementAt(rounds / 2);
            }
        }

        return (seconds, frames, errors);
    }

    private static JobSpec RetrainSpec(PruneTokensSettings settings, MaskBundle route, string routePath, string manifestDir, string backbone, double target) => new()
    {
        Kind = JobKind.StructuredPrune,
        Task = route.Task,
        LanguageCode = route.Language,
        BackbonePath = backbone,
        StartBundlePath = routePath,
        Dataset = new DatasetSpec { ManifestDir = manifestDir, TrainSplit = settings.TrainSplit, TestSplit = settings.Split },
        Head = new HeadSpec { Kind = HeadKind.Ctc },
        Mask = new MaskSpec { ComputeKeep = target },
        Optimization = new OptimizationSpec
        {
            MaxSteps = settings.RetrainSteps,
            LearningRate = settings.RetrainLearningRate,
            MaxTokens = 240_000,
            EvalIntervalSteps = 1_000_000,
            CheckpointIntervalSteps = Math.Max(100, settings.RetrainSteps),
        },
        Seed = 1,
    };

    private static Dictionary<string, WeightTensor> MaskedWeights(Dictionary<string, WeightTensor> weights, Dictionary<string, bool[]> masks) =>
        weights.ToDictionary(w => w.Key, w => masks.TryGetValue(Strip(w.Key), out var keep)
            ? w.Value with { Data = w.Value.Data.Select((x, i) => keep[i] ? x : 0f).ToArray() }
            : w.Value, StringComparer.Ordinal);

    private static Dictionary<string, bool[]> RouteMasks(MaskBundle bundle) =>
        bundle.Masks.ToDictionary(m => Strip(m.Name), m => m.Unpack(), StringComparer.Ordinal);

    private static string Strip(string name) => name.StartsWith("wav2vec2.", StringComparison.Ordinal) ? name["wav2vec2.".Length..] : name;

    private static bool SameMasks(Dictionary<string, bool[]> a, Dictionary<string, bool[]> b) =>
        a.Count == b.Count && a.All(m => b.TryGetValue(m.Key, out var other) && m.Value.AsSpan().SequenceEqual(other));

    private static Dictionary<string, bool[]> Combine(Dictionary<string, bool[]> a, Dictionary<string, bool[]> b)
    {
        var result = new Dictionary<string, bool[]>(a, StringComparer.Ordinal);
        foreach (var (name, bits) in b)
        {
            result[name] = result.TryGetValue(name, out var other) ? other.Zip(bits, (x, y) => x && y).ToArray() : bits;
        }

        return result;
    }

    /// <summary>"1024×4" for four equal values, else the list.</summary>
    private static string Runs(IReadOnlyList<int> values) =>
        values.Distinct().Count() == 1 ? $"{values[0]}×{values.Count}" : string.Join(",", values);

    private static string Metric(MaskBundle bundle, string name) =>
        bundle.Metrics.TryGetValue(name, out var value) ? Invariant($"{value:F3}") : "–";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>espeak-ng sentences, each with 0.4 s of silence before and between two halves, at 16 kHz.</summary>
    private static List<(float[] Samples, string Text)> Speech()
    {
        var result = new List<(float[], string)>();
        var directory = Directory.CreateTempSubdirectory("s3r-prune-bench-");
        try
        {
            foreach (var (sentence, i) in Sentences.Select((s, i) => (s, i)))
            {
                var path = Path.Combine(directory.FullName, $"{i}.wav");
                using (var process = Process.Start(new ProcessStartInfo("espeak-ng", ["-v", "en", "-w", path, sentence]) { RedirectStandardError = true })!)
                {
                    process.WaitForExit();
                }

                var speech = AudioDecoder.Decode(File.ReadAllBytes(path), Core.Audio.AudioEncoding.EncodingUnspecified, 0, AudioLimits.Default).Samples;
                var pause = new float[6400];
                var half = speech.Length / 2;
                result.Add(([.. pause, .. speech[..half], .. pause, .. speech[half..], .. pause], sentence));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }

        return result;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "S3RouterServices.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("run from inside the repository");
    }

    private static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
