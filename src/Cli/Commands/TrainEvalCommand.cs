using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using S3Router.TrainingService.Training.Scoring;
using Spectre.Console;

namespace S3Router.Cli.Commands;

/// <summary>
/// <c>s3r train eval</c>: scores a finished route (a mask bundle on its backbone, or a weights job's model directory)
/// on any split of a manifest directory, with the training jobs' evaluator, in this process.
/// </summary>
internal static class TrainEvalCommand
{
    public static Command Create()
    {
        var bundle = new Option<FileInfo?>("--bundle") { Description = "Mask bundle (.safetensors) of a mask, head or prune job" };
        var model = new Option<DirectoryInfo?>("--model") { Description = "A weights job's model directory (config.json, model.safetensors, head.safetensors)" };
        var backbone = new Option<DirectoryInfo?>("--backbone") { Description = "Backbone directory the bundle was trained on (with --bundle)" };
        var manifestDir = new Option<DirectoryInfo>("--manifest-dir") { Description = "Directory with <split>.tsv and its label file", Required = true };
        var split = new Option<string>("--split") { Description = "Split to score", DefaultValueFactory = _ => "test" };
        var labels = new Option<string>("--labels")
        {
            Description = "Label file extension (default: ltr for CTC routes, label for classifiers)", DefaultValueFactory = _ => "",
        };
        var maxTokens = new Option<long>("--max-tokens")
        {
            Description = "Audio samples per batch (memory; the figures do not depend on it)", DefaultValueFactory = _ => RouteScoreRequest.DefaultMaxTokens,
        };
        var noBeam = new Option<bool>("--no-beam") { Description = "Greedy decoding only (the beam search takes most of the time)" };
        var allowUnknown = new Option<bool>("--allow-unknown")
        {
            Description = "Score even when transcripts hold characters the route's labels lack (each counts as an error)",
        };
        var json = new Option<bool>("--json") { Description = "Print the metrics as one JSON object" };
        var predictions = new Option<FileInfo?>("--predictions")
        {
            Description = "Also write each utterance's reference and prediction to FILE (tab-separated, manifest order)",
        };
        var command = new Command("eval", "Score a trained route on a manifest split: CER/WER greedy and beam (CTC) or accuracy and macro-F1")
        {
            bundle, model, backbone, manifestDir, split, labels, maxTokens, noBeam, allowUnknown, json, predictions,
        };
        command.Validators.Add(result =>
        {
            var (hasBundle, hasModel) = (result.GetValue(bundle) is not null, result.GetValue(model) is not null);
            if (hasBundle == hasModel)
            {
                result.AddError("Give exactly one route: --bundle FILE (with --backbone DIR) or --model DIR.");
            }
            else if (hasBundle && result.GetValue(backbone) is null)
            {
                result.AddError("--bundle needs --backbone DIR, the backbone the bundle was trained on.");
            }

            if (result.GetValue(predictions) is { Directory: { Exists: false } folder })
            {
                result.AddError($"--predictions: folder '{folder.FullName}' does not exist.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var request = new RouteScoreRequest
            {
                RoutePath = parse.GetValue(bundle)?.FullName ?? parse.GetValue(model)!.FullName,
                BackbonePath = parse.GetValue(backbone)?.FullName,
                ManifestDir = parse.GetValue(manifestDir)!.FullName,
                Split = parse.GetValue(split)!,
                LabelExtension = parse.GetValue(labels)!,
                MaxTokens = parse.GetValue(maxTokens),
                Beam = !parse.GetValue(noBeam),
                AllowUnknownLabels = parse.GetValue(allowUnknown),
                KeepPredictions = parse.GetValue(predictions) is not null,
            };
            var console = OutputConsole.Create(parse);
            var score = await WithProgressAsync(
                console, parse.InvocationConfiguration.Error, request.Split, progress => Task.Run(() => RouteEvaluator.Evaluate(request, progress, ct), ct));
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(predictions) is { } predictionsFile)
            {
                PredictionsFile.Write(predictionsFile.FullName, score.IsCtc, score.Predictions);
                await parse.InvocationConfiguration.Error.WriteLineAsync($"{score.Predictions.Count} predictions written to {predictionsFile.FullName}");
            }

            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(score.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).ToDictionary()));
                return 0;
            }

            Print(output, console, request, score);
            return 0;
        });
        return command;
    }

    private static void Print(TextWriter output, IAnsiConsole console, RouteScoreRequest request, RouteScore score)
    {
        var route = score.Task.Length > 0 ? $"{score.Task}/{score.Language}" : "route";
        output.WriteLine($"{route} on split '{request.Split}' of {request.ManifestDir}: {score.Utterances} utterances");
        if (score.UnknownLabels > 0)
        {
            output.WriteLine($"{score.UnknownLabels} transcript characters are outside the route's labels and count as errors (--allow-unknown)");
        }

        var prefix = request.Split + "_";
        if (score.IsCtc)
        {
            var table = new Table().AddColumn("").AddColumn(new TableColumn("greedy").RightAligned()).AddColumn(new TableColumn("beam").RightAligned());
            table.AddRow("CER", Value(score, prefix + "cer"), Value(score, prefix + "cer_beam"));
            table.AddRow("WER", Value(score, prefix + "wer"), Value(score, prefix + "wer_beam"));
            console.Write(table);
        }

        var metrics = new Table().AddColumn("Metric").AddColumn(new TableColumn("Value").RightAligned());
        foreach (var (name, value) in score.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            metrics.AddRow(Markup.Escape(name), value.ToString("0.####", CultureInfo.InvariantCulture));
        }

        console.Write(metrics);
    }

    private static string Value(RouteScore score, string name) =>
        score.Metrics.TryGetValue(name, out var value) ? value.ToString("0.0000", CultureInfo.InvariantCulture) : "–";

    /// <summary>A progress bar on a terminal; in logs and pipes a line on <paramref name="error"/> (stderr) every 10% of the utterances.</summary>
    private static async Task<T> WithProgressAsync<T>(IAnsiConsole console, TextWriter error, string split, Func<Action<int, int>?, Task<T>> run)
    {
        if (!OutputConsole.IsLive(console))
        {
            var reported = -1;
            return await run((done, total) =>
            {
                var tenth = done * 10 / Math.Max(1, total);
                if (tenth > reported)
                {
                    reported = tenth;
                    error.WriteLine($"scoring {split}: {done}/{total} utterances");
                }
            });
        }

        T result = default!;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"scoring {Markup.Escape(split)}", autoStart: true, maxValue: 1);
                result = await run((done, total) =>
                {
                    task.MaxValue = Math.Max(1, total);
                    task.Value = done;
                    task.Description = $"scoring {Markup.Escape(split)}: {done}/{total} utterances";
                });
            });
        return result;
    }
}
