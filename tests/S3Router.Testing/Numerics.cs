namespace S3Router.Testing;

/// <summary>Comparisons of engine outputs.</summary>
public static class Numerics
{
    /// <summary>max |actual - expected| / max |expected|; throws when the shapes differ.</summary>
    public static double RelativeError(float[,] actual, float[,] expected)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(expected);
        if (actual.GetLength(0) != expected.GetLength(0) || actual.GetLength(1) != expected.GetLength(1))
        {
            throw new ArgumentException(
                $"Shapes differ: actual [{actual.GetLength(0)}, {actual.GetLength(1)}], expected [{expected.GetLength(0)}, {expected.GetLength(1)}].");
        }

        double maxDiff = 0, maxRef = 0;
        for (var i = 0; i < expected.GetLength(0); i++)
        {
            for (var j = 0; j < expected.GetLength(1); j++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(actual[i, j] - expected[i, j]));
                maxRef = Math.Max(maxRef, Math.Abs(expected[i, j]));
            }
        }

        return maxDiff / maxRef;
    }
}
