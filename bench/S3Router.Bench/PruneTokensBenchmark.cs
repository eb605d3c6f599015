using System.Diagnostics;
using System.Globalization;
using S3Router.Core.Audio;
using S3Router.Core.Backbones;
using S3Router.Core.Masks;
using S3Router.Core.Pruning;
using S3Router.InferenceService.Onnx;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training.Pruning;

namespace S3Router.Bench;

/// <summary>
/// Issue 9 on the shipped tiny backbone (models/tiny-ssl) and its demo ASR route: (1) structured pruning at 0-50% less
/// compute: FLOPs (counted) and ONNX forward time (measured) side by side; (2) token dropping on espeak-ng speech with
/// pauses: frames kept, forward time, and CER change of the demo route (greedy CTC). Sessions run interleaved, median
/// of the timed rounds, 2 intra-op threads. Prints figures; asserts nothing.
/// </summary>
internal static class PruneTokensBenchmark
{
    private const int Rounds = 7;

    private static readonly string[] Sentences =
    [
        "the cat sat on the mat", "open the door please", "we went home after the rain", "turn the light off",
        "she sells shells by the sea", "the quick brown fox jumps", "call me in the morning", "a cup of hot tea",
    ];

    public static async Task RunAsync()
    {
        var root = RepositoryRoot();
        var (config, weights) = await BackboneCheckpoint.LoadAsync(Path.Combine(root, "models", "tiny-ssl"));
        var route = MaskBundle.Read(Path.Combine(root, "models", "tiny-ssl", "routes", "asr-en.safetensors"));
        var routeMasks = route.Masks.ToDictionary(m => m.Name.Replace("wav2vec2.", "", StringComparison.Ordinal), m => m.Unpack(), StringComparer.Ordinal);
        var audio = Speech(root);
        var engine = new OnnxEngineOptions { IntraOpThreads = 2 };
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} cores, load average {LoadAverage()} (shared machine: other jobs were running)");
        Console.WriteLine($"speech: {audio.Count} espeak-ng utterances (en), {audio.Sum(a => a.Samples.Length) / 16000.0:F1} s with pauses; route asr-en (head not refinetuned after pruning)");

        // 1. Structured pruning: shrunk graph vs the same masks in the full graph.
        var host = weights.ToDictionary(w => w.Key, w => new HostTensor(w.Value.Data, w.Value.Shape), StringComparer.Ordinal);
        var fullShape = StructuredShape.Full(config);
        var fullFlops = BackboneCompute.ForwardFlops(config, fullShape, 64_000);
        var rows = new List<(string Name, OnnxBackboneSession Session, double Flops, long Parameters)>();
        foreach (var target in new[] { 1.0, 0.9, 0.8, 0.7, 0.6, 0.5 })
        {
            var selection = StructuredPruner.Select(config, host, target);
            var masks = Combine(routeMasks, StructuredPruner.Masks(config, selection));
            var shape = Wav2Vec2OnnxBuilder.KeptStructure(config, weights, masks);
            var session = OnnxBackboneSession.Create(config, weights, masks, new OnnxBuildOptions(), engine);
            rows.Add(($"target {target:F1}: heads [{string.Join(",", shape.Heads)}] ffn [{string.Join(",", shape.FfnUnits)}] conv [{string.Join(",", shape.ConvChannels)}]",
                session, BackboneCompute.ForwardFlops(config, shape, 64_000), BackboneCompute.Parameters(config, shape)));
        }

        var probe = new[] { audio[0].Samples.Take(64_000).ToArray() };
        var times = Time(rows.Select(r => (Func<object>)(() => r.Session.Run(probe))).ToList());
        Console.WriteLine();
        Console.WriteLine("| structure kept | FLOPs kept (4 s) | params | forward 4 s (ms) | time kept | CER asr-en |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (var i = 0; i < rows.Count; i++)
        {
            var cer = Cer(rows[i].Session, route, audio, config);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {rows[i].Name} | {rows[i].Flops / fullFlops:F3} | {rows[i].Parameters / 1e6:F2} M | {times[i] * 1000:F1} | {times[i] / times[0]:F3} | {cer:F3} |"));
            rows[i].Session.Dispose();
        }

        // 2. Token dropping on the demo route.
        var settings = new (string Name, TokenDroppingSettings? Settings)[]
        {
            ("none", null),
            ("silence -45 dBFS, margin 1", new TokenDroppingSettings()),
            ("silence -45 dBFS + repeats cos 0.995", new TokenDroppingSettings { RepeatCosine = 0.995 }),
        };
        var sessions = settings.Select(s => OnnxBackboneSession.Create(config, weights, routeMasks, new OnnxBuildOptions { TokenDropping = s.Settings }, engine)).ToList();
        var batch = audio.Select(a => a.Samples).ToArray();
        var dropTimes = Time(sessions.Select(s => (Func<object>)(() => s.RunFrames(batch))).ToList());
        Console.WriteLine();
        Console.WriteLine("| token dropping | frames kept | forward all utterances (ms) | speedup | CER asr-en |");
        Console.WriteLine("|---|---|---|---|---|");
        for (var i = 0; i < sessions.Count; i++)
        {
            var outputs = sessions[i].RunFrames(batch);
            var total = batch.Sum(a => Wav2Vec2OnnxBuilder.OutputFrames(config, a.Length));
            var kept = outputs.Sum(o => o.Hidden.GetLength(0));
            var cer = Cer(sessions[i], route, audio, config);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {settings[i].Name} | {kept}/{total} ({(double)kept / total:F3}) | {dropTimes[i] * 1000:F1} | {dropTimes[0] / dropTimes[i]:F2}x | {cer:F3} |"));
            sessions[i].Dispose();
        }
    }

    private static Dictionary<string, bool[]> Combine(Dictionary<string, bool[]> a, Dictionary<string, bool[]> b)
    {
        var result = new Dictionary<string, bool[]>(a, StringComparer.Ordinal);
        foreach (var (name, bits) in b)
        {
            result[name] = result.TryGetValue(name, out var other) ? other.Zip(bits, (x, y) => x && y).ToArray() : bits;
        }

        return result;
    }

    /// <summary>Median seconds per call of each action, interleaved (one call of each per round) after one warm-up round.</summary>
    private static List<double> Time(List<Func<object>> actions)
    {
        var samples = actions.Select(_ => new List<double>()).ToList();
        for (var round = 0; round <= Rounds; round++)
        {
            for (var i = 0; i < actions.Count; i++)
            {
                var watch = Stopwatch.StartNew();
                actions[i]();
                if (round > 0)
                {
                    samples[i].Add(watch.Elapsed.TotalSeconds);
                }
            }
        }

        return samples.Select(s => s.Order().ElementAt(s.Count / 2)).ToList();
    }

    /// <summary>Character error rate of greedy CTC with the route's head over all utterances.</summary>
    private static double Cer(OnnxBackboneSession session, MaskBundle route, List<(float[] Samples, string Text)> audio, Wav2Vec2Config config)
    {
        var weight = route.Heads.Single(h => h.Name == "head.proj.weight").Values.ToArray();
        var bias = route.Heads.Single(h => h.Name == "head.proj.bias").Values.ToArray();
        int labels = route.Labels.Count, hidden = config.HiddenSize;
        double errors = 0, length = 0;
        foreach (var (samples, text) in audio)
        {
            var h = session.RunFrames([samples])[0].Hidden;
            var output = new System.Text.StringBuilder();
            var previous = -1;
            for (var t = 0; t < h.GetLength(0); t++)
            {
                var best = 0;
                var bestScore = double.NegativeInfinity;
                for (var v = 0; v < labels; v++)
                {
                    double score = bias[v];
                    for (var k = 0; k < hidden; k++)
                    {
                        score += weight[(v * hidden) + k] * h[t, k];
                    }

                    if (score > bestScore)
                    {
                        (best, bestScore) = (v, score);
                    }
                }

                if (best != 0 && best != previous)
                {
                    output.Append(route.Labels[best] == "|" ? " " : route.Labels[best]);
                }

                previous = best;
            }

            errors += Levenshtein(string.Join(' ', output.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)), text);
            length += text.Length;
        }

        return errors / length;
    }

    private static int Levenshtein(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }

    /// <summary>espeak-ng sentences, each with 0.4 s of silence before and between two halves, at 16 kHz.</summary>
    private static List<(float[] Samples, string Text)> Speech(string root)
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

                var speech = AudioDecoder.Decode(File.ReadAllBytes(path), AudioEncoding.EncodingUnspecified, 0, AudioLimits.Default).Samples;
                var pause = new float[6400];
                var half = speech.Length / 2;
                result.Add(([.. pause, .. speech[..half], .. pause, .. speech[half..], .. pause], sentence));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }

        _ = root;
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
