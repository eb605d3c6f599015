using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using S3Router.Core.Backbones;
using S3Router.Core.Tensors;
using S3Router.InferenceService.Onnx;
using S3Router.TrainingService.Model;
using static TorchSharp.torch;

namespace S3Router.Bench;

/// <summary>
/// Backbone forward throughput, ONNX Runtime vs TorchSharp vs PyTorch 1.13 eager, same weights, 2 threads each;
/// masked vs unmasked ONNX; fp32 GEMM for the roofline. The engines run interleaved (one run of each per round), so
/// load from other processes hits them alike; each figure is the median of the timed rounds after warm-up.
/// </summary>
internal static class BackboneBenchmark
{
    private const int Threads = 2;
    private const int SampleRate = 16_000;
    private const double UtteranceSeconds = 4.0;
    private const int GemmSize = 2048;
    private const double MaskKeep = 0.9;

    public static async Task RunAsync(bool quick)
    {
        set_num_threads(Threads);
        var samples = (int)(UtteranceSeconds * SampleRate);
        var root = Directory.CreateTempSubdirectory("s3r-bench-");
        var wall = Stopwatch.StartNew();
        try
        {
            using var python = PythonWorker.Start(FindScript("backbone_pytorch.py"), Threads);
            var info = python.Ask(new { cmd = "info" });
            Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            Console.WriteLine($"machine: {CpuModel()}, {Environment.ProcessorCount} cores, {MemoryGiB():F0} GiB, load average {LoadAverage()}");
            Console.WriteLine($"threads: {Threads} per engine; ONNX Runtime {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version} (intra-op 2, ORT_ENABLE_ALL, sequential); " +
                              $"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version} (libtorch {__version__}); PyTorch {info["torch"]}");
            Console.WriteLine($"PyTorch BLAS: {string.Join(", ", info["blas"]!.AsArray().Select(n => n!.ToString()))} ({string.Join(",", info["blas_info"]!.AsArray().Select(n => n!.ToString()))})");

            // GEMM roofline: fp32 2048^3, 1 warm-up, median of 5.
            var gemmFlops = 2.0 * GemmSize * GemmSize * GemmSize;
            var gemmTorchSharp = Median(Repeat(1, 5, () => TorchSharpGemm(GemmSize)));
            var gemmPyTorch = Median(Repeat(1, 5, () => python.Ask(new { cmd = "gemm", n = GemmSize })["seconds"]!.GetValue<double>()));
            Console.WriteLine($"GEMM fp32 {GemmSize}^3 at start: TorchSharp {gemmFlops / gemmTorchSharp / 1e9:F1} GFLOP/s, PyTorch {gemmFlops / gemmPyTorch / 1e9:F1} GFLOP/s");
            Console.WriteLine();

            var rows = new List<string>();
            foreach (var preset in new[] { "tiny", "base" })
            {
                var config = Wav2Vec2Config.FromPreset(preset);
                var directory = Path.Combine(root.FullName, preset);
                manual_seed(1);
                using (var created = Wav2Vec2Model.Create(config))
                {
                    created.SaveHuggingFace(directory);
                }

                var (_, weights) = await BackboneCheckpoint.LoadAsync(directory);
                var masks = RandomMasks(config, weights, seed: 2);
                using var torchModel = Wav2Vec2Model.LoadHuggingFace(directory);
                using var onnx = OnnxBackboneSession.Create(config, weights, options: new OnnxEngineOptions { IntraOpThreads = Threads });
                using var masked = OnnxBackboneSession.Create(config, weights, masks, new OnnxEngineOptions { IntraOpThreads = Threads });
                python.Ask(new { cmd = "load", dir = directory });
                var check = SameFunctionCheck(python, onnx, torchModel, root.FullName);
                Console.WriteLine($"{preset}: same weights check on 2 x 1 s: ONNX vs PyTorch {check.Python:E1}, ONNX vs TorchSharp {check.Torch:E1} (max abs err / max abs)");

                foreach (var batch in new[] { 1, 8 })
                {
                    var audio = Enumerable.Range(0, batch).Select(i => Noise(samples, 100 + i)).ToArray();
                    var (warmup, runs) = quick ? (1, 2) : preset == "tiny" ? (2, 7) : batch == 1 ? (1, 5) : (1, 3);
                    var engines = new (string Name, Func<double> Run)[]
                    {
                        ("onnx", () => Time(() => onnx.Run(audio))),
                        ("onnx-masked", () => Time(() => masked.Run(audio))),
                        ("torchsharp", () => Time(() => torchModel.ExtractFeatures(audio))),
                        ("pytorch", () => python.Ask(new { cmd = "run", batch, samples })["seconds"]!.GetValue<double>()),
                        // The GEMM rates again inside each round: the roofline under the same machine load as the engines.
                        ("gemm-torchsharp", () => TorchSharpGemm(GemmSize)),
                        ("gemm-pytorch", () => python.Ask(new { cmd = "gemm", n = GemmSize })["seconds"]!.GetValue<double>()),
                    };
                    var times = engines.ToDictionary(e => e.Name, _ => new List<double>());
                    for (var round = 0; round < warmup + runs; round++)
                    {
                        foreach (var (name, run) in engines)
                        {
                            var seconds = run();
                            if (round >= warmup)
                            {
                                times[name].Add(seconds);
                            }
                        }
                    }

                    var m = times.ToDictionary(t => t.Key, t => Median(t.Value));
                    var audioSeconds = batch * UtteranceSeconds;
                    var gflop = ModelFlops.Forward(config, batch, samples) / 1e9;
                    rows.Add(string.Join(" | ",
                        preset, batch.ToString(CultureInfo.InvariantCulture), $"{gflop:F0}",
                        $"{audioSeconds / m["onnx"]:F1}", $"{audioSeconds / m["torchsharp"]:F1}", $"{audioSeconds / m["pytorch"]:F1}",
                        $"{m["pytorch"] / m["onnx"]:F2}x", $"{m["torchsharp"] / m["onnx"]:F2}x", $"{m["onnx-masked"] / m["onnx"]:F3}x",
                        $"{gflop / m["onnx"]:F1} ({m["gemm-torchsharp"] / gemmFlops * 1e9 * gflop / m["onnx"]:P0})",
                        $"{gflop / m["torchsharp"]:F1} ({m["gemm-torchsharp"] / gemmFlops * 1e9 * gflop / m["torchsharp"]:P0})",
                        $"{gflop / m["pytorch"]:F1} ({m["gemm-pytorch"] / gemmFlops * 1e9 * gflop / m["pytorch"]:P0})",
                        $"{gemmFlops / m["gemm-torchsharp"] / 1e9:F0} / {gemmFlops / m["gemm-pytorch"] / 1e9:F0}",
                        $"{warmup}+{runs}"));
                    Console.WriteLine($"  {preset} batch {batch}: " + string.Join(", ", m.Select(kv => $"{kv.Key} {kv.Value:F3} s")));
                }
            }

            Console.WriteLine();
            Console.WriteLine("Throughput = seconds of audio per wall second (median). Speedup = PyTorch time / ONNX time. GFLOP/s = model FLOPs / median time;");
            Console.WriteLine("in parentheses: fraction of the fp32 GEMM rate measured in the same rounds (ONNX and TorchSharp vs libtorch's GEMM, PyTorch vs its OpenBLAS GEMM).");
            Console.WriteLine();
            Console.WriteLine("| preset | batch | GFLOP/forward | ONNX audio s/s | TorchSharp audio s/s | PyTorch audio s/s | ONNX vs PyTorch | ONNX vs TorchSharp | masked / unmasked ONNX | ONNX GFLOP/s (of GEMM) | TorchSharp GFLOP/s (of GEMM) | PyTorch GFLOP/s (of GEMM) | GEMM GFLOP/s libtorch / OpenBLAS | warm-up+runs |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var row in rows)
            {
                Console.WriteLine("| " + row + " |");
            }

            Console.WriteLine();
            Console.WriteLine($"total {wall.Elapsed.TotalMinutes:F1} min; load average at the end {LoadAverage()}");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static (double Python, double Torch) SameFunctionCheck(
        PythonWorker python, OnnxBackboneSession onnx, Wav2Vec2Model torchModel, string directory)
    {
        var audio = new[] { Noise(SampleRate, 7), Noise(SampleRate, 8) };
        var input = Path.Combine(directory, "check_input.npy");
        var output = Path.Combine(directory, "check_output.npy");
        NpyFile.Write(input, audio.SelectMany(a => a).ToArray(), [2, SampleRate]);
        python.Ask(new { cmd = "features", input, output });
        var expected = NpyFile.ReadFloat32(output);
        var frames = (int)expected.Shape[1];
        var width = (int)expected.Shape[2];
        var onnxOut = onnx.Run(audio);
        var torchOut = torchModel.ExtractFeatures(audio);
        double diffPython = 0, diffTorch = 0, max = 0;
        for (var b = 0; b < 2; b++)
        {
            for (var t = 0; t < frames; t++)
            {
                for (var h = 0; h < width; h++)
                {
                    var reference = expected.Data[(((b * frames) + t) * width) + h];
                    max = Math.Max(max, Math.Abs(reference));
                    diffPython = Math.Max(diffPython, Math.Abs(onnxOut[b][t, h] - reference));
                    diffTorch = Math.Max(diffTorch, Math.Abs(onnxOut[b][t, h] - torchOut[b][t, h]));
                }
            }
        }

        return (diffPython / max, diffTorch / max);
    }

    private static Dictionary<string, bool[]> RandomMasks(Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> weights, int seed)
    {
        // A hot route: every FFN weight masked at S3-Router's finetuning keep ratio.
        var random = new Random(seed);
        return BackboneParameterShapes.MaskableTensors(config, MaskScope.FeedForward).ToDictionary(
            name => name,
            name => Enumerable.Range(0, weights[name].Data.Length).Select(_ => random.NextDouble() < MaskKeep).ToArray());
    }

    private static double TorchSharpGemm(int n)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n);
        var b = randn(n, n);
        var start = Stopwatch.GetTimestamp();
        var c = mm(a, b);
        _ = c.data<float>()[0]; // materialized
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Time(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static List<double> Repeat(int warmup, int runs, Func<double> run)
    {
        for (var i = 0; i < warmup; i++)
        {
            run();
        }

        return Enumerable.Range(0, runs).Select(_ => run()).ToList();
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static float[] Noise(int samples, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, samples).Select(_ => (float)((random.NextDouble() - 0.5) * 0.6)).ToArray();
    }

    internal static string FindScript(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"bench/{name} not found above " + AppContext.BaseDirectory);
    }

    internal static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
        ?? RuntimeInformation.ProcessArchitecture.ToString();

    private static double MemoryGiB() =>
        double.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / (1024 * 1024);

    internal static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
