using S3Router.Core.Analysis;
using S3Router.Core.Errors;

namespace S3Router.Core.Tests.Analysis;

public sealed class SimilarityMatrixTests
{
    [Fact]
    public void Constructor_NotSymmetric_ThrowsInvalidInput()
    {
        var error = Assert.Throws<InvalidInputException>(() => new SimilarityMatrix(["a", "b"], [1, 0.5, 0.4, 1]));

        Assert.Contains("symmetric", error.Message);
    }

    [Fact]
    public void Constructor_WrongValueCount_ThrowsInvalidInput()
    {
        Assert.Throws<InvalidInputException>(() => new SimilarityMatrix(["a", "b"], [1, 0.5, 0.5]));
    }

    [Fact]
    public void UpperTriangle_ThreeByThree_RowByRow()
    {
        var matrix = new SimilarityMatrix(["a", "b", "c"], [1, 0.1, 0.2, 0.1, 1, 0.3, 0.2, 0.3, 1]);

        Assert.Equal([0.1, 0.2, 0.3], matrix.UpperTriangle());
    }

    [Fact]
    public void Reindex_RegionTagsAndRepeats_LooksUpPrimarySubtag()
    {
        var languages = new SimilarityMatrix(["de", "en"], [1, 0.4, 0.4, 1]);

        var aligned = languages.Reindex(["en", "de-DE", "en-GB"]);

        Assert.Equal(["en", "de-DE", "en-GB"], aligned.Labels);
        Assert.Equal([1, 0.4, 1, 0.4, 1, 0.4, 1, 0.4, 1], aligned.RowMajor);
    }

    [Fact]
    public void Reindex_MissingLanguage_ThrowsInvalidInputNamingIt()
    {
        var languages = new SimilarityMatrix(["de", "en"], [1, 0.4, 0.4, 1]);

        var error = Assert.Throws<InvalidInputException>(() => languages.Reindex(["en", "fr"], "language_similarity"));

        Assert.Contains("fr", error.Message);
        Assert.Equal("language_similarity", Assert.Single(error.Violations).Field);
    }

    [Fact]
    public void CsvWriteRead_RoundTrip_KeepsLabelsValuesAndNaN()
    {
        var matrix = new SimilarityMatrix(["asr/en@v1", "a,b", "c"], [1, 0.123456789012345, double.NaN, 0.123456789012345, 1, 0.5, double.NaN, 0.5, 1]);
        var writer = new StringWriter();

        SimilarityMatrixCsv.Write(matrix, writer);
        var read = SimilarityMatrixCsv.Read(new StringReader(writer.ToString()));

        Assert.StartsWith("label,asr/en@v1,\"a,b\",c\n", writer.ToString());
        Assert.Equal(matrix.Labels, read.Labels);
        Assert.Equal(matrix.RowMajor, read.RowMajor);
    }

    [Theory]
    [InlineData("")]
    [InlineData("label,a,b\na,1,0.5\n")]
    [InlineData("label,a,b\na,1,0.5\nb,0.5\n")]
    [InlineData("label,a,b\na,1,x\nb,0.5,1\n")]
    [InlineData("label,a,b\nb,1,0.5\na,0.5,1\n")]
    [InlineData("label,a,a\na,1,0.5\na,0.5,1\n")]
    [InlineData("label,\"a,b\na,1\n")]
    public void CsvRead_Malformed_ThrowsInvalidInput(string text)
    {
        Assert.Throws<InvalidInputException>(() => SimilarityMatrixCsv.Read(new StringReader(text)));
    }

    [Fact]
    public void CsvReadFile_Missing_ThrowsNotFound()
    {
        Assert.Throws<NotFoundException>(() => SimilarityMatrixCsv.ReadFile("/nonexistent/lang.csv"));
    }
}
