using System.CommandLine;
using System.Globalization;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.TrainingService.Jobs;

namespace S3Router.Cli.Commands;

/// <summary>
/// <c>s3r pretrain --corpus DIR --out DIR --steps N --seed S [--targets-backbone DIR --targets-layer N] [--clusters K]</c>:
/// runs a JOB_KIND_PRETRAIN job in this process. The corpus is a manifest folder with <c>&lt;split&gt;.tsv</c>, or the
/// output of <c>s3r data synth</c>, whose <c>asr/&lt;lang&gt;/&lt;split&gt;.tsv</c> manifests are merged into
/// <c>OUT/corpus/train.tsv</c>. Targets are k-means clusters of MFCCs (HuBERT iteration 1) or, with
/// <c>--targets-backbone</c>, of one layer's hidden states of that backbone (iteration 2).
/// </summary>
internal static class PretrainCommand
{
    // Spec fields of the options below, so a bad value is reported by its option name.
    private static readonly Dictionary<string, string> OptionNames = new(StringComparer.Ordinal)
    {
        ["pretrain.targets_backbone_path"] = "--targets-backbone",
        ["pretrain.targets_layer"] = "--targets-layer",
        ["pretrain.clusters"] = "--clusters",
        ["pretrain.unmasked_loss_weight"] = "--unmasked-weight",
        ["backbone_path"] = "--backbone",
        ["optimization.max_steps"] = "--steps",
        ["optimization.max_tokens"] = "--max-tokens",
        ["optimization.learning_rate"] = "--lr",
        ["optimization.checkpoint_interval_steps"] = "--checkpoint-every",
    };

    public static Command Create()
    {
        var corpus = new Option<string>("--corpus") { Description = "Manifest folder, or an `s3r data synth` output folder", Required = true };
        var output = new Option<string>("--out") { Description = "Work folder: checkpoints, loss curve, model/ (resumes when run again)", Required = true };
        var steps = new Option<long>("--steps") { Description = "Optimizer steps", DefaultValueFactory = _ => 2000 };
        var seed = new Option<long>("--seed") { Description = "Seed of every random choice", DefaultValueFactory = _ => 1 };
        var split = new Option<string>("--split") { Description = "Split to train on", DefaultValueFactory = _ => "train_1h" };
        var languages = new Option<string[]>("--languages") { Description = "Languages of a synth corpus to use (default: all)", AllowMultipleArgumentsPerToken = true };
        var backbone = new Option<string>("--backbone") { Description = "Start: preset:tiny|base|large (random init) or a backbone folder", DefaultValueFactory = _ => "preset:tiny" };
        var maxTokens = new Option<long>("--max-tokens") { Description = "Audio samples per batch", DefaultValueFactory = _ => 480_000 };
        var learningRate = new Option<double>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 5e-4 };
        var unmaskedWeight = new Option<double>("--unmasked-weight")
        {
            Description = "Weight of the loss on unmasked frames beside the masked ones (HuBERT's pred_nomask_weight; 0 = masked only)",
            DefaultValueFactory = _ => 0,
        };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Checkpoint interval in steps", DefaultValueFactory = _ => 50 };
        var targetsBackbone = new Option<string?>("--targets-backbone")
        {
            Description = "HuBERT iteration 2: targets are k-means clusters of this frozen backbone folder's hidden states "
                + "(needs --targets-layer and the same conv frontend as --backbone; may be the --backbone folder). Default: MFCC targets",
        };
        var targetsLayer = new Option<int?>("--targets-layer")
        {
            Description = "Layer of --targets-backbone to cluster: 0 = transformer input, 1..L = output of that layer (HuBERT: a middle layer)",
        };
        // Unset stays 0 in the spec (= 100), so work folders of earlier runs keep their spec digest and resume.
        var clusters = new Option<int?>("--clusters") { Description = "k-means clusters of the targets, 2..10000 (default: 100)" };
        var command = new Command("pretrain", "HuBERT-style self-supervised pretraining of a backbone (in process)")
        {
            corpus, output, steps, seed, split, languages, backbone, maxTokens, learningRate, unmaskedWeight, checkpointEvery,
            targetsBackbone, targetsLayer, clusters,
        };
        command.SetAction(async (parse, ct) =>
        {
            var work = Path.GetFullPath(parse.GetValue(output)!);
            return await InProcessJob.RunAsync(
                parse,
                () =>
                {
                    var manifestDir = PrepareManifests(
                        parse.InvocationConfiguration.Output, Path.GetFullPath(parse.GetValue(corpus)!), parse.GetValue(split)!, parse.GetValue(languages) ?? [], work);
                    return new JobSpec
                    {
                        Kind = JobKind.Pretrain,
                        Task = "pretrain",
                        BackbonePath = parse.GetValue(backbone)!,
                        Dataset = new DatasetSpec { ManifestDir = manifestDir.Directory, TrainSplit = manifestDir.Split },
                        Optimization = new OptimizationSpec
                        {
                            MaxSteps = parse.GetValue(steps),
                            MaxTokens = parse.GetValue(maxTokens),
                            LearningRate = parse.GetValue(learningRate),
                            CheckpointIntervalSteps = parse.GetValue(checkpointEvery),
                            WarmupFraction = 0.08,
                            HoldFraction = 0.32,
                            DecayFraction = 0.6,
                        },
                        Seed = parse.GetValue(seed),
                        Pretrain = Pretrain(parse.GetValue(unmaskedWeight), parse.GetValue(targetsBackbone), parse.GetValue(targetsLayer), parse.GetValue(clusters)),
                    };
                },
                new JobRunContext("pretrain", work, progress => Report(parse.InvocationConfiguration.Output, progress)),
                (result, elapsed) => $"done in {elapsed.TotalMinutes:0.0} min: {result.OutputPath}",
                ct,
                OptionNames,
                logProgress: true);
        });
        return command;
    }

    private static PretrainSpec Pretrain(double unmaskedWeight, string? targetsBackbone, int? targetsLayer, int? clusters)
    {
        var spec = new PretrainSpec
        {
            UnmaskedLossWeight = unmaskedWeight,
            TargetsBackbonePath = string.IsNullOrEmpty(targetsBackbone) ? "" : Path.GetFullPath(targetsBackbone),
            Clusters = clusters ?? 0,
        };
        if (targetsLayer is { } layer)
        {
            spec.TargetsLayer = layer;
        }

        return spec;
    }

    private static void Report(TextWriter output, JobProgress p)
    {
        var accuracy = p.EvalMetrics.TryGetValue("masked_accuracy", out var a) ? a : double.NaN;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:HH:mm:ss} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} acc {accuracy:F3} lr {p.LearningRate:E2} {p.ExamplesPerSecond:F1} utt/s eta {p.Eta.ToTimeSpan():hh\\:mm\\:ss} ckpt {p.CheckpointStep}"));
    }

    private static (string Directory, string Split) PrepareManifests(TextWriter output, string corpus, string split, IReadOnlyList<string> languages, string work)
    {
        if (File.Exists(Path.Combine(corpus, split + ".tsv")))
        {
            return (corpus, split);
        }

        var asr = Path.Combine(corpus, "asr");
        var wanted = languages.SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal);
        var sources = Directory.Exists(asr)
            ? Directory.GetDirectories(asr).Order(StringComparer.Ordinal)
                .Where(d => (wanted.Count == 0 || wanted.Contains(Path.GetFileName(d))) && File.Exists(Path.Combine(d, split + ".tsv")))
                .ToList()
            : [];
        if (sources.Count == 0)
        {
            throw new NotFoundException($"Neither '{corpus}/{split}.tsv' nor '{asr}/<language>/{split}.tsv' exists.");
        }

        var lines = new List<string> { asr };
        foreach (var source in sources)
        {
            var manifest = File.ReadAllLines(Path.Combine(source, split + ".tsv"));
            var root = manifest[0].Trim();
            root = Path.IsPathRooted(root) ? root : Path.GetFullPath(Path.Combine(source, root));
            lines.AddRange(manifest.Skip(1).Where(l => l.Length > 0).Select(l => Path.GetRelativePath(asr, Path.Combine(root, l.Split('\t')[0])) + "\t" + l.Split('\t')[1]));
        }

        var directory = Path.Combine(work, "corpus");
        Directory.CreateDirectory(directory);
        File.WriteAllLines(Path.Combine(directory, "train.tsv"), lines);
        output.WriteLine($"corpus: {lines.Count - 1} utterances from {string.Join(", ", sources.Select(Path.GetFileName))} ({split})");
        return (directory, "train");
    }
}
