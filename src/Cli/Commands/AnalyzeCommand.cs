using System.CommandLine;
using System.Globalization;
using S3Router.Api.V1;
using S3Router.Cli.Analysis;
using S3Router.Core.Analysis;
using S3Router.Core.Errors;

namespace S3Router.Cli.Commands;

/// <summary><c>s3r analyze similarity|phonemes</c>: mask similarity between routes, and phoneme-inventory similarity between languages.</summary>
internal static class AnalyzeCommand
{
    public static Command Create() => new("analyze", "Analyse what the masks learned")
    {
        Similarity(), Phonemes(),
    };

    private static Command Similarity()
    {
        var routes = new Option<string[]>("--route")
        {
            Description = "A route task/language[@ref], e.g. asr/en or asr/de@v3 (repeat, at least 2)",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var reference = new Option<string>("--ref") { Description = "Ref for routes given without @ref", DefaultValueFactory = _ => "production" };
        var languages = new Option<FileInfo?>("--language-similarity") { Description = "Language similarity CSV (from s3r analyze phonemes) to correlate with" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the CSV and PNG files", Required = true };
        var command = new Command("similarity", "Pairwise Jaccard and Hamming similarity of route masks (overall, per layer, per tensor): CSV + heatmap PNG")
        {
            routes, reference, languages, output,
        };
        command.SetAction((parse, ct) => RegistryConnection.RunAsync(parse, ct, (client, headers) => ReportErrorsAsync(parse.InvocationConfiguration.Error, async () =>
        {
            var request = new AnalyzeMaskSimilarityRequest();
            foreach (var text in parse.GetValue(routes) ?? [])
            {
                if (!RouteArgument.TryParse(text, parse.GetValue(reference)!, out var route))
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"error: --route {text}: expected task/language[@ref], e.g. asr/en or asr/de@v3");
                    return 2;
                }
                request.Routes.Add(route);
            }
            // Read the language matrix before the (possibly long) call, so a bad file fails fast.
            var languageFile = parse.GetValue(languages);
            var languageMatrix = languageFile is null ? null : SimilarityMatrixCsv.ReadFile(languageFile.FullName);

            var reply = await client.AnalyzeMaskSimilarityAsync(request, headers, cancellationToken: ct);
            var report = SimilarityReport.From(reply);
            var files = report.WriteAll(parse.GetValue(output)!.FullName);

            var printed = parse.InvocationConfiguration.Output;
            PrintMatrix(printed, "Jaccard (overall)", report.Overall.Jaccard);
            PrintMatrix(printed, "Hamming similarity (overall)", report.Overall.Hamming);
            foreach (var skipped in report.Skipped)
            {
                printed.WriteLine($"not masked by every route: {skipped.Name} (only {string.Join(", ", skipped.MaskedBy.Select(i => report.Labels[i]))})");
            }
            if (languageMatrix is not null)
            {
                var aligned = languageMatrix.Reindex([.. report.Routes.Select(r => r.LanguageCode)], "--language-similarity");
                foreach (var (name, matrix) in new[] { ("Jaccard", report.Overall.Jaccard), ("Hamming", report.Overall.Hamming) })
                {
                    var c = MatrixCorrelation.Of(matrix, aligned);
                    printed.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name} vs language similarity: Pearson r = {c.Pearson:0.000}, Spearman rho = {c.Spearman:0.000} over n = {c.Pairs} route pairs"));
                }
            }
            files.ToList().ForEach(f => printed.WriteLine($"wrote {f}"));
            return 0;
        })));
        return command;
    }

    private static Command Phonemes()
    {
        var languages = new Option<string>("--languages") { Description = "Comma-separated languages (espeak-ng voices), e.g. en,de,es", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "CSV to write", DefaultValueFactory = _ => new FileInfo("lang_similarity.csv") };
        var command = new Command("phonemes",
            $"Language similarity as the Jaccard overlap of phoneme inventories from espeak-ng on built-in sample text ({string.Join(", ", PhonemeSamples.Languages)}); writes CSV + heatmap PNG")
        {
            languages, output,
        };
        command.SetAction((parse, ct) => ReportErrorsAsync(parse.InvocationConfiguration.Error, async () =>
        {
            var list = parse.GetValue(languages)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var csv = parse.GetValue(output)!.FullName;
            var inventories = await LanguageSimilarity.InventoriesAsync(list, new EspeakPhonemizer(), ct);
            var matrix = LanguageSimilarity.FromInventories(list, inventories);
            Directory.CreateDirectory(Path.GetDirectoryName(csv)!);
            SimilarityMatrixCsv.WriteFile(matrix, csv);
            var png = Path.ChangeExtension(csv, ".png");
            SimilarityHeatmap.WritePng(matrix, "Language similarity: phoneme inventory overlap", "Jaccard (phonemes)", png);
            var printed = parse.InvocationConfiguration.Output;
            for (var i = 0; i < list.Length; i++)
            {
                printed.WriteLine($"{list[i]}: {inventories[i].Count} phonemes");
            }
            PrintMatrix(printed, "Phoneme-inventory Jaccard", matrix);
            printed.WriteLine($"wrote {csv}");
            printed.WriteLine($"wrote {png}");
            return 0;
        }));
        return command;
    }

    /// <summary>Local errors (bad CSV, unknown language, espeak-ng missing) become one error line and exit code 1.</summary>
    private static async Task<int> ReportErrorsAsync(TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (S3RouterException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }

    private static void PrintMatrix(TextWriter output, string title, SimilarityMatrix matrix)
    {
        var width = Math.Max(8, matrix.Labels.Max(l => l.Length) + 1);
        output.WriteLine(title);
        output.WriteLine(new string(' ', width) + string.Concat(matrix.Labels.Select(l => l.PadLeft(width))));
        for (var i = 0; i < matrix.Size; i++)
        {
            var cells = Enumerable.Range(0, matrix.Size).Select(j => (double.IsNaN(matrix[i, j]) ? "-" : matrix[i, j].ToString("0.0000", CultureInfo.InvariantCulture)).PadLeft(width));
            output.WriteLine(matrix.Labels[i].PadRight(width) + string.Concat(cells));
        }
    }
}
