using S3Router.Core.Errors;

namespace S3Router.Core.Analysis;

/// <summary>
/// Correlation of two similarity matrices over the same items, taken over the pairs above the diagonal (each
/// unordered pair once; the diagonal is 1 by definition and would inflate it). Pairs with NaN on either side are left out.
/// </summary>
/// <param name="Pearson">Pearson's r, NaN when undefined (fewer than 2 pairs, or a constant side).</param>
/// <param name="Spearman">Spearman's ρ, NaN when undefined.</param>
/// <param name="Pairs">Number of pairs used: with few routes the correlation says little, so report it.</param>
public sealed record MatrixCorrelation(double Pearson, double Spearman, int Pairs)
{
    /// <summary>Correlates <paramref name="a"/> and <paramref name="b"/> entry by entry (labels are not compared; align them first with <see cref="SimilarityMatrix.Reindex"/>).</summary>
    /// <exception cref="InvalidInputException">The matrices have different sizes.</exception>
    public static MatrixCorrelation Of(SimilarityMatrix a, SimilarityMatrix b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Size != b.Size)
        {
            throw new InvalidInputException($"cannot correlate a {a.Size}×{a.Size} matrix with a {b.Size}×{b.Size} one");
        }

        var (x, y) = (new List<double>(), new List<double>());
        foreach (var (va, vb) in a.UpperTriangle().Zip(b.UpperTriangle()))
        {
            if (!double.IsNaN(va) && !double.IsNaN(vb))
            {
                x.Add(va);
                y.Add(vb);
            }
        }

        return new MatrixCorrelation(Correlation.Pearson(x, y), Correlation.Spearman(x, y), x.Count);
    }
}
