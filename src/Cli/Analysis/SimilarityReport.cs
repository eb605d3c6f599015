using System.Globalization;
using System.Text;
using S3Router.Api.V1;
using S3Router.Core.Analysis;

namespace S3Router.Cli.Analysis;

/// <summary>
/// An AnalyzeMaskSimilarity reply as matrices, and the files <c>s3r analyze similarity</c> writes from it:
/// square CSVs and heatmaps of the overall Jaccard and Hamming matrices, and long tables per layer and per tensor.
/// </summary>
internal sealed class SimilarityReport
{
    private SimilarityReport(IReadOnlyList<ResolvedRoute> routes, IReadOnlyList<string> labels, MaskSimilarityScope overall,
        IReadOnlyList<MaskSimilarityScope> layers, IReadOnlyList<MaskSimilarityScope> tensors, IReadOnlyList<Api.V1.SkippedMaskTensor> skipped)
    {
        Routes = routes;
        Labels = labels;
        Overall = overall;
        Layers = layers;
        Tensors = tensors;
        Skipped = skipped;
    }

    public IReadOnlyList<ResolvedRoute> Routes { get; }

    /// <summary><c>task/language@vN</c> per route.</summary>
    public IReadOnlyList<string> Labels { get; }

    public MaskSimilarityScope Overall { get; }

    public IReadOnlyList<MaskSimilarityScope> Layers { get; }

    public IReadOnlyList<MaskSimilarityScope> Tensors { get; }

    public IReadOnlyList<Api.V1.SkippedMaskTensor> Skipped { get; }

    public static SimilarityReport From(AnalyzeMaskSimilarityResponse reply)
    {
        var labels = reply.Routes.Select(r => $"{r.Task}/{r.LanguageCode}@v{r.Version}").ToList();
        MaskSimilarityScope Scope(string name, int? layer, MaskSimilarityMatrices m) =>
            new(name, layer, new SimilarityMatrix(labels, m.Jaccard), new SimilarityMatrix(labels, m.Hamming));
        return new SimilarityReport(
            [.. reply.Routes], labels,
            Scope(MaskSimilarity.OverallScope, null, reply.Overall),
            [.. reply.Layers.Select(l => Scope($"layer.{l.Layer}", l.Layer, l.Similarity))],
            [.. reply.Tensors.Select(t => Scope(t.Name, t.HasLayer ? t.Layer : null, t.Similarity))],
            [.. reply.SkippedTensors]);
    }

    /// <summary>Writes every file into <paramref name="directory"/> (created if needed) and returns their paths.</summary>
    public IReadOnlyList<string> WriteAll(string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var (metric, matrix) in new[] { ("jaccard", Overall.Jaccard), ("hamming", Overall.Hamming) })
        {
            var csv = Path.Combine(directory, $"similarity_{metric}.csv");
            SimilarityMatrixCsv.WriteFile(matrix, csv);
            var png = Path.Combine(directory, $"similarity_{metric}.png");
            var name = metric == "jaccard" ? "Jaccard (kept weights)" : "Hamming similarity";
            SimilarityHeatmap.WritePng(matrix, $"Mask similarity: {name}", name, png);
            written.AddRange([csv, png]);
        }

        var layers = Path.Combine(directory, "similarity_layers.csv");
        WriteLong(layers, "layer", Layers, s => s.Layer!.Value.ToString(CultureInfo.InvariantCulture));
        var tensors = Path.Combine(directory, "similarity_tensors.csv");
        WriteLong(tensors, "tensor,layer", Tensors,
            s => $"{SimilarityMatrixCsv.Quote(s.Name)},{s.Layer?.ToString(CultureInfo.InvariantCulture) ?? ""}");
        written.AddRange([layers, tensors]);
        return written;
    }

    /// <summary>One row per scope and route pair (i &lt; j): <c>{key},route_a,route_b,jaccard,hamming</c>.</summary>
    private void WriteLong(string path, string keyHeader, IReadOnlyList<MaskSimilarityScope> scopes, Func<MaskSimilarityScope, string> key)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        writer.Write($"{keyHeader},route_a,route_b,jaccard,hamming\n");
        foreach (var scope in scopes)
        {
            for (var i = 0; i < Labels.Count; i++)
            {
                for (var j = i + 1; j < Labels.Count; j++)
                {
                    writer.Write($"{key(scope)},{SimilarityMatrixCsv.Quote(Labels[i])},{SimilarityMatrixCsv.Quote(Labels[j])},");
                    writer.Write($"{SimilarityMatrixCsv.Format(scope.Jaccard[i, j])},{SimilarityMatrixCsv.Format(scope.Hamming[i, j])}\n");
                }
            }
        }
    }
}
