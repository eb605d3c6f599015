using S3Router.Api.V1;
using S3Router.Cli.Analysis;
using S3Router.Core.Analysis;

namespace S3Router.Cli.Tests.Analysis;

public sealed class SimilarityReportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("s3r-report-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void From_Reply_LabelsRoutesWithResolvedVersions()
    {
        var report = SimilarityReport.From(Reply());

        Assert.Equal(["asr/en@v1", "asr/de@v4", "asr/fr@v2"], report.Labels);
        Assert.Equal(0.8, report.Overall.Jaccard[0, 1]);
        Assert.Equal(1, report.Tensors[1].Layer);
        Assert.Null(report.Tensors[2].Layer);
    }

    [Fact]
    public void WriteAll_Reply_WritesMatricesLongTablesAndHeatmaps()
    {
        var report = SimilarityReport.From(Reply());

        var files = report.WriteAll(Path.Combine(_directory, "out"));

        Assert.Equal(6, files.Count);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 0, f));
        var jaccard = SimilarityMatrixCsv.ReadFile(Path.Combine(_directory, "out", "similarity_jaccard.csv"));
        Assert.Equal(report.Overall.Jaccard.RowMajor, jaccard.RowMajor);
        var layers = File.ReadAllLines(Path.Combine(_directory, "out", "similarity_layers.csv"));
        Assert.Equal("layer,route_a,route_b,jaccard,hamming", layers[0]);
        Assert.Equal(1 + 2 * 3, layers.Length);
        Assert.Equal("1,asr/en@v1,asr/de@v4,0.7,NaN", layers[4]);
        var tensors = File.ReadAllLines(Path.Combine(_directory, "out", "similarity_tensors.csv"));
        Assert.Equal(1 + 3 * 3, tensors.Length);
        Assert.StartsWith("encoder.pos_conv_embed.conv.weight,,asr/en@v1,asr/de@v4,", tensors[7]);
    }

    private static AnalyzeMaskSimilarityResponse Reply()
    {
        double[] overall = [1, 0.8, 0.6, 0.8, 1, 0.5, 0.6, 0.5, 1];
        double[] layerOne = [1, 0.7, 0.6, 0.7, 1, 0.4, 0.6, 0.4, 1];
        double[] withNaN = [1, double.NaN, 0.6, double.NaN, 1, 0.4, 0.6, 0.4, 1];
        MaskSimilarityMatrices M(double[] jaccard, double[] hamming) => new() { Jaccard = { jaccard }, Hamming = { hamming } };
        var reply = new AnalyzeMaskSimilarityResponse
        {
            Routes =
            {
                new ResolvedRoute { Task = "asr", LanguageCode = "en", Version = 1 },
                new ResolvedRoute { Task = "asr", LanguageCode = "de", Version = 4 },
                new ResolvedRoute { Task = "asr", LanguageCode = "fr", Version = 2 },
            },
            Overall = M(overall, overall),
            Layers =
            {
                new LayerMaskSimilarity { Layer = 0, Similarity = M(overall, overall) },
                new LayerMaskSimilarity { Layer = 1, Similarity = M(layerOne, withNaN) },
            },
            Tensors =
            {
                new TensorMaskSimilarity { Name = "encoder.layers.0.fc1", Layer = 0, Similarity = M(overall, overall) },
                new TensorMaskSimilarity { Name = "encoder.layers.1.fc1", Layer = 1, Similarity = M(layerOne, withNaN) },
                new TensorMaskSimilarity { Name = "encoder.pos_conv_embed.conv.weight", Similarity = M(overall, overall) },
            },
        };
        return reply;
    }
}
