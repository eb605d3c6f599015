using System.Collections.ObjectModel;
using S3Router.Core.Errors;

namespace S3Router.Core.Analysis;

/// <summary>
/// A square, symmetric matrix of similarities between labelled items (routes or languages), stored row-major.
/// <c>NaN</c> marks a pair that could not be compared (e.g. two routes that share no masked tensor in a layer).
/// </summary>
public sealed class SimilarityMatrix
{
    private const double SymmetryTolerance = 1e-9;
    private readonly double[] _values;

    /// <summary>Creates the matrix from its labels and <c>labels.Count²</c> values in row-major order.</summary>
    /// <exception cref="InvalidInputException">No label, wrong value count, an infinite value, or a non-symmetric matrix.</exception>
    public SimilarityMatrix(IReadOnlyList<string> labels, IReadOnlyList<double> rowMajor)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(rowMajor);
        var n = labels.Count;
        if (n == 0)
        {
            throw new InvalidInputException("a similarity matrix needs at least one label", "labels");
        }
        if (rowMajor.Count != (long)n * n)
        {
            throw new InvalidInputException($"a similarity matrix over {n} labels needs {n * n} values, got {rowMajor.Count}", "values");
        }

        _values = [.. rowMajor];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var (a, b) = (_values[i * n + j], _values[j * n + i]);
                if (double.IsInfinity(a))
                {
                    throw new InvalidInputException($"similarity of {labels[i]} and {labels[j]} is {a}; values must be finite (or NaN for 'not comparable')", "values");
                }
                if (double.IsNaN(a) != double.IsNaN(b) || (!double.IsNaN(a) && Math.Abs(a - b) > SymmetryTolerance))
                {
                    throw new InvalidInputException($"the matrix is not symmetric: ({labels[i]}, {labels[j]}) is {a} but ({labels[j]}, {labels[i]}) is {b}", "values");
                }
            }
        }

        Labels = new ReadOnlyCollection<string>([.. labels]);
        RowMajor = Array.AsReadOnly(_values);
    }

    /// <summary>Row (and column) labels, in order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Number of rows (= columns).</summary>
    public int Size => Labels.Count;

    /// <summary>All values, row-major: element (i, j) at <c>i * Size + j</c>.</summary>
    public IReadOnlyList<double> RowMajor { get; }

    /// <summary>The similarity of items <paramref name="row"/> and <paramref name="column"/>.</summary>
    public double this[int row, int column] => _values[row * Size + column];

    /// <summary>The values above the diagonal, row by row: (0,1), (0,2), ..., (1,2), ...; <c>n(n-1)/2</c> of them.</summary>
    public double[] UpperTriangle()
    {
        var result = new double[Size * (Size - 1) / 2];
        var k = 0;
        for (var i = 0; i < Size; i++)
        {
            for (var j = i + 1; j < Size; j++)
            {
                result[k++] = this[i, j];
            }
        }

        return result;
    }

    /// <summary>
    /// The matrix over <paramref name="keys"/> (repeats allowed): entry (i, j) is this matrix's entry for the labels
    /// matching keys i and j. A key matches a label exactly (ignoring case), else by its primary language subtag
    /// (<c>de-DE</c> matches <c>de</c>). Used to align a language matrix with the languages of routes.
    /// </summary>
    /// <param name="keys">The labels of the result, each looked up in this matrix.</param>
    /// <param name="field">Field name reported when a key is missing.</param>
    /// <exception cref="InvalidInputException">A key matches no label; the message lists the missing keys and the labels there are.</exception>
    public SimilarityMatrix Reindex(IReadOnlyList<string> keys, string field = "labels")
    {
        ArgumentNullException.ThrowIfNull(keys);
        var index = new int[keys.Count];
        var missing = new List<string>();
        for (var k = 0; k < keys.Count; k++)
        {
            index[k] = IndexOf(keys[k]);
            if (index[k] < 0)
            {
                missing.Add(keys[k]);
            }
        }
        if (missing.Count > 0)
        {
            throw new InvalidInputException(
                $"no entry for {string.Join(", ", missing.Distinct())}; the matrix has {string.Join(", ", Labels)}", field);
        }

        var values = new double[keys.Count * keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            for (var j = 0; j < keys.Count; j++)
            {
                values[i * keys.Count + j] = this[index[i], index[j]];
            }
        }

        return new SimilarityMatrix(keys, values);
    }

    private int IndexOf(string key)
    {
        for (var pass = 0; pass < 2; pass++)
        {
            var wanted = pass == 0 ? key : PrimarySubtag(key);
            for (var i = 0; i < Size; i++)
            {
                if (string.Equals(Labels[i], wanted, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }
        }

        return -1;
    }

    private static string PrimarySubtag(string tag)
    {
        var dash = tag.IndexOfAny(['-', '_']);
        return dash > 0 ? tag[..dash] : tag;
    }
}
