using S3Router.Cli.Analysis;
using S3Router.Core.Analysis;
using SkiaSharp;

namespace S3Router.Cli.Tests.Analysis;

public sealed class SimilarityHeatmapTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("s3r-heatmap-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void WritePng_FourRoutes_WritesDecodablePngWithViridisExtremes()
    {
        var matrix = new SimilarityMatrix(["asr/en@v1", "asr/de@v1", "asr/es@v2", "asr/it@v1"],
            [1, 0.9, 0.5, 0.55, 0.9, 1, 0.52, 0.5, 0.5, 0.52, 1, 0.88, 0.55, 0.5, 0.88, 1]);
        var path = Path.Combine(_directory, "jaccard.png");

        SimilarityHeatmap.WritePng(matrix, "Mask similarity", "Jaccard", path);

        Assert.True(new FileInfo(path).Length > 10_000, $"only {new FileInfo(path).Length} bytes");
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.True(bitmap.Width >= 500 && bitmap.Height >= 500, $"{bitmap.Width}x{bitmap.Height}");
        var pixels = bitmap.Pixels;
        // The diagonal (1.0, top of the scale) is viridis yellow; the lowest off-diagonal value (0.5) is its dark purple.
        Assert.Contains(pixels, p => p.Red > 220 && p.Green > 200 && p.Blue < 80);
        Assert.Contains(pixels, p => p.Red < 90 && p.Green < 40 && p.Blue > 60);
        Assert.True(pixels.Distinct().Count() > 100, "the image is nearly uniform");
    }

    [Fact]
    public void WritePng_NaNAndEqualValues_StillWritesImage()
    {
        var matrix = new SimilarityMatrix(["a", "b"], [double.NaN, double.NaN, double.NaN, double.NaN]);
        var path = Path.Combine(_directory, "nan.png");

        SimilarityHeatmap.WritePng(matrix, "All NaN", "Jaccard", path);

        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
    }
}
