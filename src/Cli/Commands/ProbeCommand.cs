using System.CommandLine;
using System.Globalization;
using S3Router.Api.V1;
using S3Router.Core.Backbones;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Model;
using TorchSharp;

namespace S3Router.Cli.Commands;

/// <summary>
/// <c>s3r probe --backbone DIR|preset:tiny --data DIR --out DIR</c>: a frozen-backbone linear probe (a JOB_KIND_HEAD
/// job in this process) that prints the test metrics. <c>preset:NAME</c> probes a randomly initialized backbone
/// (seeded by <c>--seed</c>, the same initial weights <c>s3r pretrain --seed</c> starts from).
/// </summary>
internal static class ProbeCommand
{
    private const string JobOptionsPresetPrefix = "preset:";

    public static Command Create()
    {
        var backbone = new Option<string>("--backbone") { Description = "Backbone folder, or preset:tiny|base|large for random init", Required = true };
        var data = new Option<string>("--data") { Description = "Manifest folder with train/valid/test splits", Required = true };
        var output = new Option<string>("--out") { Description = "Work folder", Required = true };
        var task = new Option<string>("--task") { Description = "speaker, intent (classifier) or asr (CTC)", DefaultValueFactory = _ => "speaker" };
        var steps = new Option<long>("--steps") { Description = "Optimizer steps", DefaultValueFactory = _ => 300 };
        var seed = new Option<long>("--seed") { Description = "Seed", DefaultValueFactory = _ => 1 };
        var learningRate = new Option<double>("--lr") { Description = "Peak learning rate of the head", DefaultValueFactory = _ => 2e-3 };
        var maxTokens = new Option<long>("--max-tokens") { Description = "Audio samples per batch", DefaultValueFactory = _ => 640_000 };
        var command = new Command("probe", "Frozen-backbone linear probe (head-only job) printing test metrics")
        {
            backbone, data, output, task, steps, seed, learningRate, maxTokens,
        };
        command.SetAction(async (parse, ct) =>
        {
            var work = Path.GetFullPath(parse.GetValue(output)!);
            var backbonePath = parse.GetValue(backbone)!;
            return await InProcessJob.RunAsync(
                parse,
                () =>
                {
                    if (backbonePath.StartsWith(JobOptionsPresetPrefix, StringComparison.Ordinal))
                    {
                        torch.manual_seed(parse.GetValue(seed));
                        using var random = Wav2Vec2Model.Create(Wav2Vec2Config.FromPreset(backbonePath[JobOptionsPresetPrefix.Length..]));
                        backbonePath = Path.Combine(work, "random-backbone");
                        random.SaveHuggingFace(backbonePath);
                    }

                    return new JobSpec
                    {
                        Kind = JobKind.Head,
                        Task = parse.GetValue(task)!,
                        LanguageCode = "und",
                        BackbonePath = Path.GetFullPath(backbonePath),
                        Dataset = new DatasetSpec { ManifestDir = Path.GetFullPath(parse.GetValue(data)!) },
                        Optimization = new OptimizationSpec
                        {
                            MaxSteps = parse.GetValue(steps),
                            LearningRate = parse.GetValue(learningRate),
                            MaxTokens = parse.GetValue(maxTokens),
                            EvalIntervalSteps = int.MaxValue,
                            CheckpointIntervalSteps = int.MaxValue,
                        },
                        Seed = parse.GetValue(seed),
                    };
                },
                new JobRunContext("probe", work, progress => Report(parse.InvocationConfiguration.Output, progress)),
                (_, _) => $"backbone {parse.GetValue(backbone)}",
                ct);
        });
        return command;
    }

    private static void Report(TextWriter output, JobProgress p)
    {
        if (p.Step % 25 == 0 || p.Step == p.TotalSteps)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4}"));
        }
    }
}
