using S3Router.Core.Hosting;
using System.Diagnostics;
using System.Globalization;
using S3Router.Api.V1;
using S3Router.Core.Backbones;
using S3Router.Core.Safetensors;
using S3Router.Core.Tensors;
using S3Router.TrainingService.Model;
using S3Router.TrainingService.Training;
using S3Router.TrainingService.Training.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.Bench;

/// <summary>
/// Training step time (issue 6): a <c>mask</c> job's step (frozen backbone, FFN masks keep 0.9, head trained) vs a
/// <c>weights</c> job's step (conv frontend frozen, the rest trained), both through the engine's own step
/// (<see cref="TrainingStep"/>), and the same two steps in PyTorch 1.13 (bench/training_step_pytorch.py) on the same
/// weights, scores, head and batch. One thread per engine. The four steps run interleaved (one of each per round), so
/// load from other processes hits them alike; figures are medians of the timed rounds after warm-up.
/// </summary>
internal static class TrainingStepBenchmark
{
    private const int Threads = 1;
    private const int SampleRate = 16_000;
    private const double Keep = 0.9;
    private const double LearningRate = 5e-5;
    private const int Vocabulary = 32;
    private const int TargetLength = 30;
    private const int GemmSize = 1024;
    private static readonly string[] Variants = ["ts-mask", "ts-weights", "pt-mask", "pt-weights"];

    public static void Run(bool quick, IReadOnlyList<string> presets, bool noMallocTuning = false)
    {
        torch.set_num_threads(Threads);
        var malloc = !noMallocTuning && GlibcHeap.KeepFreedMemory(); // as JobRunner does
        var root = Directory.CreateTempSubdirectory("s3r-stepbench-");
        var wall = Stopwatch.StartNew();
        try
        {
            using var python = PythonWorker.Start(BackboneBenchmark.FindScript("training_step_pytorch.py"), Threads);
            var info = python.Ask(new { cmd = "info" });
            Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            Console.WriteLine($"machine: {BackboneBenchmark.CpuModel()}, {Environment.ProcessorCount} cores (shared), load average at start {BackboneBenchmark.LoadAverage()}");
            Console.WriteLine($"threads: {Threads} per engine (torch.set_num_threads({Threads}); OMP_NUM_THREADS={Threads} for PyTorch); " +
                              $"TorchSharp {typeof(torch).Assembly.GetName().Version} (libtorch {__version__}); PyTorch {info["torch"]} " +
                              $"({string.Join(", ", info["blas"]!.AsArray().Select(n => Path.GetFileName(n!.ToString())))})");
            Console.WriteLine($"TorchSharp process: glibc malloc tuning (GlibcHeap.KeepFreedMemory, as in JobRunner) {(malloc ? "on" : "off")}");
            Console.WriteLine();

            var rows = new List<string>();
            foreach (var preset in presets)
            {
                var (batch, seconds, warmup, runs) = preset == "tiny" ? (4, 4.0, 2, 9) : (1, 4.0, 1, 5);
                if (quick)
                {
                    (warmup, runs) = (1, 2);
                }

                rows.Add(RunPreset(python, root.FullName, preset, batch, seconds, warmup, runs));
            }

            Console.WriteLine();
            Console.WriteLine("Step = zero grads, forward (training mode, dropout 0.1, layerdrop 0), CTC loss, backward, clip to norm 10, Adam; seconds are medians.");
            Console.WriteLine("Ratios are medians of the per-round ratios (each pair ran back to back in the same round).");
            Console.WriteLine();
            Console.WriteLine("| preset | batch | TorchSharp mask s | TorchSharp weights s | mask / weights (TorchSharp) | PyTorch mask s | PyTorch weights s | mask / weights (PyTorch) | TorchSharp / PyTorch weights | TorchSharp / PyTorch mask | GEMM GFLOP/s libtorch / OpenBLAS | warm-up+runs |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var row in rows)
            {
                Console.WriteLine("| " + row + " |");
            }

            Console.WriteLine();
            Console.WriteLine($"total {wall.Elapsed.TotalMinutes:F1} min; load average at the end {BackboneBenchmark.LoadAverage()}");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static string RunPreset(PythonWorker python, string root, string preset, int batch, double seconds, int warmup, int runs)
    {
        // Layerdrop 0: a skipped layer would make step times random; the dropouts stay at the config's 0.1.
        var config = Wav2Vec2Config.FromPreset(preset) with { Layerdrop = 0 };
        var directory = Path.Combine(root, preset);
        manual_seed(1);
        using (var created = Wav2Vec2Model.Create(config))
        {
            created.SaveHuggingFace(directory);
        }

        var samples = (int)(seconds * SampleRate);
        var audio = Enumerable.Range(0, batch).Select(i => Audio(samples, 100 + i)).ToArray();
        var random = new Random(5);
        var targets = Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, TargetLength).Select(_ => (long)random.Next(1, Vocabulary)).ToArray()).ToList();
        var inputPath = Path.Combine(root, preset + "-input.npy");
        NpyFile.Write(inputPath, audio.SelectMany(a => a).ToArray(), [batch, samples]);

        using var waveforms = tensor(audio.SelectMany(a => a).ToArray(), [batch, samples]);
        using var lengths = tensor(Enumerable.Repeat((long)samples, batch).ToArray());
        using var mask = new TorchSharpJob(JobKind.Mask, directory, config, targets, waveforms, lengths);
        using var weights = new TorchSharpJob(JobKind.Weights, directory, config, targets, waveforms, lengths);
        weights.Head.Import(mask.Head.Export().ToDictionary(t => t.Name, t => new HostTensor(t.Values.ToArray(), t.Shape.ToArray())));

        // The same head and scores for PyTorch.
        var extrasPath = Path.Combine(root, preset + "-extras.safetensors");
        var writer = new SafetensorsWriter();
        foreach (var t in mask.Head.Export())
        {
            writer.AddFloat32(t.Name, t.Shape, t.Values);
        }

        foreach (var (name, layer) in mask.Model.MaskedLayers())
        {
            writer.AddFloat32(name + ".scores", layer.Scores.shape, layer.Scores.detach().contiguous().data<float>().ToArray());
        }

        writer.WriteToFile(extrasPath);
        var setup = python.Ask(new
        {
            cmd = "setup", dir = directory, extras = extrasPath, input = inputPath, lengths = Enumerable.Repeat(samples, batch).ToArray(),
            targets, keep = Keep, lr = LearningRate, clip = JobOptions.GradientClipNorm,
        });
        Console.WriteLine($"{preset}: batch {batch} x {seconds:F0} s, CTC targets of {TargetLength} labels (vocabulary {Vocabulary}); trainable parameters: " +
                          $"mask {mask.TrainableCount:N0} (PyTorch {setup["parameters"]!["mask"]:N0}), weights {weights.TrainableCount:N0} (PyTorch {setup["parameters"]!["weights"]:N0})");
        foreach (var (name, job) in new[] { ("mask", mask), ("weights", weights) })
        {
            var expected = python.Ask(new { cmd = "loss", variant = name })["loss"]!.GetValue<double>();
            var found = job.EvalLoss();
            Console.WriteLine($"  same function check ({name}, eval mode, before training): loss TorchSharp {found:F4}, PyTorch {expected:F4}, rel. diff {Math.Abs(found - expected) / Math.Abs(expected):E1}");
        }

        var steps = new Dictionary<string, Func<StepCost>>
        {
            ["ts-mask"] = mask.TimedStep,
            ["ts-weights"] = weights.TimedStep,
            ["pt-mask"] = () => PythonStep(python, "mask"),
            ["pt-weights"] = () => PythonStep(python, "weights"),
        };
        var times = Variants.ToDictionary(v => v, _ => new List<double>());
        var costs = Variants.ToDictionary(v => v, _ => new List<StepCost>());
        var gemm = (TorchSharp: new List<double>(), PyTorch: new List<double>());
        for (var round = 0; round < warmup + runs; round++)
        {
            var roundTimes = Variants.ToDictionary(v => v, v => steps[v]());
            var gemmTs = TorchSharpGemm(GemmSize);
            var gemmPt = python.Ask(new { cmd = "gemm", n = GemmSize })["seconds"]!.GetValue<double>();
            Console.WriteLine($"  round {round + 1}{(round < warmup ? " (warm-up)" : "")}: " + string.Join(", ", roundTimes.Select(t => $"{t.Key} {t.Value.Wall:F3} s (CPU {t.Value.Cpu:F3} s, {t.Value.MinorFaults} faults)")) +
                              $"; load {BackboneBenchmark.LoadAverage()}");
            if (round >= warmup)
            {
                foreach (var (v, s) in roundTimes)
                {
                    times[v].Add(s.Wall);
                    costs[v].Add(s);
                }

                gemm.TorchSharp.Add(gemmTs);
                gemm.PyTorch.Add(gemmPt);
            }
        }

        var m = times.ToDictionary(t => t.Key, t => BackboneBenchmark.Median(t.Value));
        double Ratio(string a, string b) => BackboneBenchmark.Median(times[a].Zip(times[b], (x, y) => x / y).ToList());
        var gemmFlops = 2.0 * GemmSize * GemmSize * GemmSize;
        double Cpu(string v) => BackboneBenchmark.Median(costs[v].Select(c => c.Cpu).ToList());
        double Faults(string v) => BackboneBenchmark.Median(costs[v].Select(c => (double)c.MinorFaults).ToList());
        double CpuRatio(string a, string b) => BackboneBenchmark.Median(costs[a].Zip(costs[b], (x, y) => x.Cpu / y.Cpu).ToList());
        // CPU time per step is what the step costs whatever else runs on the machine (1 thread each): the steadier figure here.
        Console.WriteLine($"  {preset} CPU seconds per step (median): " + string.Join(", ", Variants.Select(v => $"{v} {Cpu(v):F3}")) +
                          $"; mask / weights TorchSharp {CpuRatio("ts-mask", "ts-weights"):F2}x, PyTorch {CpuRatio("pt-mask", "pt-weights"):F2}x; " +
                          $"TorchSharp / PyTorch weights {CpuRatio("ts-weights", "pt-weights"):F2}x, mask {CpuRatio("ts-mask", "pt-mask"):F2}x");
        Console.WriteLine($"  {preset} minor page faults per step (median): " + string.Join(", ", Variants.Select(v => $"{v} {Faults(v):F0}")));
        return string.Join(" | ",
            preset, $"{batch} x {seconds:F0} s",
            $"{m["ts-mask"]:F3}", $"{m["ts-weights"]:F3}", $"{Ratio("ts-mask", "ts-weights"):F2}x",
            $"{m["pt-mask"]:F3}", $"{m["pt-weights"]:F3}", $"{Ratio("pt-mask", "pt-weights"):F2}x",
            $"{Ratio("ts-weights", "pt-weights"):F2}x", $"{Ratio("ts-mask", "pt-mask"):F2}x",
            $"{gemmFlops / BackboneBenchmark.Median(gemm.TorchSharp) / 1e9:F0} / {gemmFlops / BackboneBenchmark.Median(gemm.PyTorch) / 1e9:F0}",
            $"{warmup}+{runs}");
    }

    private static StepCost PythonStep(PythonWorker python, string variant)
    {
        var reply = python.Ask(new { cmd = "step", variant });
        return new StepCost(reply["seconds"]!.GetValue<double>(), reply["cpu_seconds"]!.GetValue<double>(), reply["minor_faults"]!.GetValue<long>());
    }

    private static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>Minor page faults of this process so far (/proc/self/stat field 10).</summary>
    private static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields from 3 (state) on
        return long.Parse(fields[10 - 3], CultureInfo.InvariantCulture);
    }

    private static float[] Audio(int samples, int seed)
    {
        // Noise plus three sines, peak about 0.4: speech-like enough to give the conv frontend non-trivial input.
        var random = new Random(seed);
        var sines = Enumerable.Range(0, 3).Select(_ => (F: 80 + (random.NextDouble() * 2920), A: 0.05 + (random.NextDouble() * 0.1), P: random.NextDouble() * 2 * Math.PI)).ToArray();
        return Enumerable.Range(0, samples).Select(n =>
            (float)((0.05 * ((random.NextDouble() * 2) - 1)) + sines.Sum(s => s.A * Math.Sin((2 * Math.PI * s.F * n / SampleRate) + s.P)))).ToArray();
    }

    private static double TorchSharpGemm(int n)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n);
        var b = randn(n, n);
        var start = Stopwatch.GetTimestamp();
        var c = mm(a, b);
        _ = c.data<float>()[0];
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>One step's wall time, process CPU time (seconds) and minor page faults.</summary>
    private sealed record StepCost(double Wall, double Cpu, long MinorFaults);

    /// <summary>One job kind's model, head and optimizer, set up as <see cref="JobRunner"/> does.</summary>
    private sealed class TorchSharpJob : IDisposable
    {
        private readonly AdamOptimizer _optimizer;
        private readonly IReadOnlyList<long[]> _targets;
        private readonly Tensor _waveforms;
        private readonly Tensor _lengths;

        public TorchSharpJob(JobKind kind, string directory, Wav2Vec2Config config, IReadOnlyList<long[]> targets, Tensor waveforms, Tensor lengths)
        {
            var masking = kind == JobKind.Mask ? new MaskingOptions { PruneRate = Keep } /* FFN only */ : null;
            Model = Wav2Vec2Model.LoadHuggingFace(directory, masking);
            TrainingStep.FreezeBackbone(kind, Model);
            if (masking is not null)
            {
                manual_seed(2);
                Model.InitializeScores(ScoreInit.WeightRank);
            }

            manual_seed(3);
            Head = new CtcHead(config.HiddenSize, Vocabulary);
            var headTrains = TrainingStep.HeadTrains(kind, trainableProj: true);
            foreach (var p in Head.parameters())
            {
                p.requires_grad = headTrains;
            }

            var trainable = Model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => ("backbone." + p.name, p.parameter))
                .Concat(Head.named_parameters().Select(p => ("head." + p.name, p.parameter))).ToList();
            TrainableCount = trainable.Where(p => p.parameter.requires_grad && !p.Item1.EndsWith("masked_spec_embed", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
            _optimizer = new AdamOptimizer(trainable);
            (_targets, _waveforms, _lengths) = (targets, waveforms, lengths);
        }

        public Wav2Vec2Model Model { get; }

        public CtcHead Head { get; }

        /// <summary>Trainable parameters that get gradients (masked_spec_embed is unused outside pretraining).</summary>
        public long TrainableCount { get; }

        public StepCost TimedStep()
        {
            var (cpu, faults) = (CpuSeconds(), MinorFaults());
            var start = Stopwatch.GetTimestamp();
            TrainingStep.Run(Head, _optimizer, LearningRate, isCtc: true, _targets,
                () => TrainingStep.Backbone(Model, _waveforms, _lengths, learns: true, dropout: true));
            var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            return new StepCost(wall, CpuSeconds() - cpu, MinorFaults() - faults);
        }

        public double EvalLoss()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Model.eval();
            Head.eval();
            var (hidden, frames) = Model.call(_waveforms, _lengths);
            return TaskLoss.Compute(Head.call(hidden, frames), frames!, _targets, isCtc: true).item<float>();
        }

        public void Dispose()
        {
            _optimizer.Dispose();
            Head.Dispose();
            Model.Dispose();
        }
    }
}
