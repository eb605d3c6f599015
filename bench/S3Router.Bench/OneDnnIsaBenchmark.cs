using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using S3Router.Core.Backbones;
using S3Router.TrainingService.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.Bench;

/// <summary>
/// What <see cref="LibTorchCpuIsa"/>'s cap costs and buys: child processes of this program with oneDNN at the CPU's own
/// level (<c>ONEDNN_MAX_CPU_ISA=ALL</c>, the user's override) and at the default (the cap on an AVX-512 CPU), alternating,
/// one libtorch thread each. Each child counts non-finite gradients of conv1d 32 → 8 channel backward passes (a small
/// conv_max head's shape class) and times the tiny backbone's forward (eval, no gradients: feature caching) and a
/// forward + backward through every weight (a <c>weights</c> step without the optimizer) on 4 × 4 s of audio.
/// The level is fixed per process (oneDNN reads it once), hence the children.
/// </summary>
internal static class OneDnnIsaBenchmark
{
    private const int SampleRate = 16_000;
    private const int Batch = 4;
    private const int Seconds = 4;
    private const int ConvPasses = 200;
    private static readonly string[] Levels = ["ALL", "default"];

    public static async Task RunAsync(int rounds)
    {
        Console.WriteLine($"date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {BackboneBenchmark.CpuModel()}, {Environment.ProcessorCount} cores (shared), load average at start {BackboneBenchmark.LoadAverage()}");
        Console.WriteLine($"TorchSharp {typeof(torch).Assembly.GetName().Version} (libtorch {__version__}); one thread per child; {rounds} rounds, levels alternating");
        var results = Levels.ToDictionary(l => l, _ => new List<ChildResult>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var level in round % 2 == 0 ? Levels : Levels.Reverse())
            {
                results[level].Add(await RunChildAsync(level));
            }
        }

        Console.WriteLine();
        Console.WriteLine("| oneDNN level | effective | non-finite conv1d gradients | backbone forward s (median) | forward + backward s (median) |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var level in Levels)
        {
            var r = results[level];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {level} | {r[0].Effective ?? "(oneDNN's own)"} | {r.Sum(x => x.NonFinite)} of {r.Count * ConvPasses} | {BackboneBenchmark.Median([.. r.Select(x => x.Forward)]):F3} | {BackboneBenchmark.Median([.. r.Select(x => x.Step)]):F3} |"));
        }

        var (all, capped) = (results["ALL"], results["default"]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"default / ALL: forward {BackboneBenchmark.Median([.. capped.Zip(all, (c, a) => c.Forward / a.Forward)]):F2}x, forward + backward {BackboneBenchmark.Median([.. capped.Zip(all, (c, a) => c.Step / a.Step)]):F2}x (medians of per-round ratios)"));
        Console.WriteLine($"load average at end {BackboneBenchmark.LoadAverage()}");
    }

    /// <summary>The child's side: measures and prints one JSON line.</summary>
    public static void RunChild()
    {
        torch.set_num_threads(1);
        var nonFinite = 0;
        var random = new Random(5);
        for (var pass = 0; pass < ConvPasses; pass++)
        {
            using var scope = NewDisposeScope();
            var input = randn(random.Next(1, 24), 32, random.Next(20, 200)).requires_grad_(true);
            var weight = randn(8, 32, 3).requires_grad_(true);
            nn.functional.conv1d(input, weight, padding: 1).sum().backward();
            nonFinite += input.grad!.isfinite().all().item<bool>() && weight.grad!.isfinite().all().item<bool>() ? 0 : 1;
        }

        manual_seed(1);
        using var model = Wav2Vec2Model.Create(Wav2Vec2Config.Tiny with { Layerdrop = 0 });
        using var waveforms = randn(Batch, Seconds * SampleRate) * 0.1;
        using var lengths = tensor(Enumerable.Repeat((long)(Seconds * SampleRate), Batch).ToArray());
        var forward = Timed(5, () =>
        {
            model.eval();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            model.call(waveforms, lengths);
        });
        var step = Timed(5, () =>
        {
            model.train();
            model.zero_grad();
            using var scope = NewDisposeScope();
            model.call(waveforms, lengths).Hidden.square().mean().backward();
        });
        Console.WriteLine(JsonSerializer.Serialize(new ChildResult(LibTorchCpuIsa.Effective, nonFinite, forward, step)));
    }

    private static async Task<ChildResult> RunChildAsync(string level)
    {
        var start = BenchJobProcess.ThisProgram("onednn-isa-child");
        start.Environment.Remove(LibTorchCpuIsa.Variable);
        if (level != "default")
        {
            start.Environment[LibTorchCpuIsa.Variable] = level;
        }

        using var process = Process.Start(start)!;
        var lines = (await process.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"onednn-isa child ({level}) exited with {process.ExitCode}");
        }

        return JsonSerializer.Deserialize<ChildResult>(lines[^1])!;
    }

    private static double Timed(int runs, Action action)
    {
        action(); // warm-up: oneDNN creates its primitives on the first pass
        return BackboneBenchmark.Median([.. Enumerable.Range(0, runs).Select(_ =>
        {
            var watch = Stopwatch.StartNew();
            action();
            return watch.Elapsed.TotalSeconds;
        })]);
    }

    private sealed record ChildResult(string? Effective, int NonFinite, double Forward, double Step);
}
