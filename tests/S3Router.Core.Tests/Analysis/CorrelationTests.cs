using S3Router.Core.Analysis;
using S3Router.Core.Errors;

namespace S3Router.Core.Tests.Analysis;

public sealed class CorrelationTests
{
    [Fact]
    public void Pearson_KnownVectors_MatchesHandValue()
    {
        // dx = [-2, -1, 0, 1, 2], dy = [-2, 0, -1, 1, 2]; Σdxdy = 9, Σdx² = 10, Σdy² = 10 → r = 0.9.
        double[] x = [1, 2, 3, 4, 5];
        double[] y = [2, 4, 3, 5, 6];

        Assert.Equal(0.9, Correlation.Pearson(x, y), 12);
    }

    [Fact]
    public void Pearson_LinearAndReversed_IsPlusAndMinusOne()
    {
        double[] x = [0.1, 0.5, 0.2, 0.9];

        Assert.Equal(1.0, Correlation.Pearson(x, x.Select(v => 3 * v + 1).ToArray()), 12);
        Assert.Equal(-1.0, Correlation.Pearson(x, x.Select(v => -v).ToArray()), 12);
    }

    [Fact]
    public void Pearson_ConstantSideOrOnePair_IsNaN()
    {
        Assert.True(double.IsNaN(Correlation.Pearson([1, 2, 3], [5, 5, 5])));
        Assert.True(double.IsNaN(Correlation.Pearson([1], [2])));
    }

    [Fact]
    public void Pearson_DifferentLengths_ThrowsInvalidInput()
    {
        Assert.Throws<InvalidInputException>(() => Correlation.Pearson([1, 2], [1, 2, 3]));
    }

    [Fact]
    public void Spearman_MonotoneButNotLinear_IsOne()
    {
        double[] x = [1, 2, 3, 4, 5];
        double[] y = [1, 4, 9, 16, 1000];

        Assert.Equal(1.0, Correlation.Spearman(x, y), 12);
        Assert.True(Correlation.Pearson(x, y) < 0.9);
    }

    [Fact]
    public void Spearman_KnownVectorsWithoutTies_MatchesRankDifferenceFormula()
    {
        double[] x = [10, 20, 30, 40, 50];
        double[] y = [3, 1, 2, 5, 4];

        // ρ = 1 - 6 Σd² / (n(n² - 1)), d = [2, -1, -1, 1, -1] → Σd² = 8 → 1 - 48 / 120 = 0.6.
        Assert.Equal(0.6, Correlation.Spearman(x, y), 12);
    }

    [Fact]
    public void Ranks_Ties_GetAverageRank()
    {
        Assert.Equal([1.0, 2.5, 2.5, 4.0], Correlation.Ranks([10, 20, 20, 30]));
        Assert.Equal([3.0, 1.0, 2.0], Correlation.Ranks([0.9, 0.1, 0.5]));
    }

    [Fact]
    public void MatrixCorrelationOf_UpperTriangleOnly_SkipsNaNPairs()
    {
        string[] labels = ["a", "b", "c", "d"];
        var masks = Symmetric(labels, [0.9, 0.5, 0.1, 0.6, 0.2, double.NaN]);
        var languages = Symmetric(labels, [0.8, 0.6, 0.1, 0.7, 0.2, 0.5]);

        var correlation = MatrixCorrelation.Of(masks, languages);

        Assert.Equal(5, correlation.Pairs);
        Assert.Equal(Correlation.Pearson([0.9, 0.5, 0.1, 0.6, 0.2], [0.8, 0.6, 0.1, 0.7, 0.2]), correlation.Pearson, 12);
        Assert.Equal(1.0, correlation.Spearman, 12);
    }

    private static SimilarityMatrix Symmetric(string[] labels, double[] upper)
    {
        var n = labels.Length;
        var values = new double[n * n];
        var k = 0;
        for (var i = 0; i < n; i++)
        {
            values[i * n + i] = 1;
            for (var j = i + 1; j < n; j++)
            {
                values[i * n + j] = values[j * n + i] = upper[k++];
            }
        }

        return new SimilarityMatrix(labels, values);
    }
}
