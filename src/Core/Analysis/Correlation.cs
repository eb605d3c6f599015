using S3Router.Core.Errors;

namespace S3Router.Core.Analysis;

/// <summary>Pearson and Spearman correlation of paired samples.</summary>
public static class Correlation
{
    /// <summary>Pearson's r of <paramref name="x"/> and <paramref name="y"/>, in [-1, 1]; NaN with fewer than 2 pairs or when either side is constant.</summary>
    /// <exception cref="InvalidInputException">The lists have different lengths.</exception>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        var n = x.Count;
        if (n < 2)
        {
            return double.NaN;
        }

        double meanX = 0, meanY = 0;
        for (var i = 0; i < n; i++)
        {
            meanX += x[i];
            meanY += y[i];
        }
        meanX /= n;
        meanY /= n;

        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            var (dx, dy) = (x[i] - meanX, y[i] - meanY);
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx == 0 || syy == 0)
        {
            return double.NaN;
        }

        // Rounding can push a perfect correlation a hair past 1.
        return Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1.0, 1.0);
    }

    /// <summary>Spearman's ρ: Pearson's r of the ranks (ties get their average rank); NaN as for <see cref="Pearson"/>.</summary>
    /// <exception cref="InvalidInputException">The lists have different lengths.</exception>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        return Pearson(Ranks(x), Ranks(y));
    }

    /// <summary>1-based ranks in ascending order; tied values share the mean of their ranks ([10, 20, 20] → [1, 2.5, 2.5]).</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }
            var rank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++)
            {
                ranks[order[k]] = rank;
            }
            start = end + 1;
        }

        return ranks;
    }

    private static void CheckPaired(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count)
        {
            throw new InvalidInputException($"correlation needs paired samples, got {x.Count} and {y.Count} values");
        }
    }
}
