using System.Globalization;
using System.Text;
using S3Router.Core.Errors;

namespace S3Router.Core.Analysis;

/// <summary>
/// A <see cref="SimilarityMatrix"/> as CSV: a header <c>label,A,B,...</c>, then one row per label
/// (<c>A,1,0.42,...</c>). Values use the invariant culture; <c>NaN</c> (or an empty cell) marks a pair not compared.
/// Fields with commas or quotes are quoted as RFC 4180 says.
/// </summary>
public static class SimilarityMatrixCsv
{
    /// <summary>Text of the first header cell.</summary>
    public const string CornerLabel = "label";

    /// <summary>Writes <paramref name="matrix"/>.</summary>
    public static void Write(SimilarityMatrix matrix, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(string.Join(",", matrix.Labels.Prepend(CornerLabel).Select(Quote)));
        writer.Write('\n');
        for (var i = 0; i < matrix.Size; i++)
        {
            writer.Write(Quote(matrix.Labels[i]));
            for (var j = 0; j < matrix.Size; j++)
            {
                writer.Write(',');
                writer.Write(Format(matrix[i, j]));
            }
            writer.Write('\n');
        }
    }

    /// <summary>Writes <paramref name="matrix"/> to the file at <paramref name="path"/> (replaced).</summary>
    public static void WriteFile(SimilarityMatrix matrix, string path)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        Write(matrix, writer);
    }

    /// <summary>Reads a matrix; rows must come in the header's order.</summary>
    /// <exception cref="InvalidInputException">Not such a CSV (the message gives the line), or the matrix is not symmetric.</exception>
    public static SimilarityMatrix Read(TextReader reader, string source = "similarity CSV")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Trim().Length > 0)
            {
                lines.Add(line);
            }
        }
        if (lines.Count == 0)
        {
            throw new InvalidInputException($"{source} is empty; expected a header 'label,A,B,...' and one row per label", source);
        }

        var header = Split(lines[0], source, 1);
        var labels = header.Skip(1).Select(l => l.Trim()).ToList();
        if (labels.Count == 0 || labels.Any(l => l.Length == 0) || labels.Distinct(StringComparer.OrdinalIgnoreCase).Count() != labels.Count)
        {
            throw new InvalidInputException($"{source} line 1: the header needs distinct, non-empty labels after the first cell", source);
        }
        if (lines.Count - 1 != labels.Count)
        {
            throw new InvalidInputException($"{source} has {labels.Count} labels in its header but {lines.Count - 1} rows", source);
        }

        var values = new double[labels.Count * labels.Count];
        for (var i = 0; i < labels.Count; i++)
        {
            var cells = Split(lines[i + 1], source, i + 2);
            if (cells.Count != labels.Count + 1 || !string.Equals(cells[0].Trim(), labels[i], StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidInputException(
                    $"{source} line {i + 2}: expected the row of '{labels[i]}' with {labels.Count} values", source);
            }
            for (var j = 0; j < labels.Count; j++)
            {
                var cell = cells[j + 1].Trim();
                if (cell.Length == 0)
                {
                    values[i * labels.Count + j] = double.NaN;
                }
                else if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i * labels.Count + j]))
                {
                    throw new InvalidInputException($"{source} line {i + 2}: '{cell}' is not a number", source);
                }
            }
        }

        return new SimilarityMatrix(labels, values);
    }

    /// <summary>Reads the CSV file at <paramref name="path"/>.</summary>
    /// <exception cref="NotFoundException">No such file.</exception>
    /// <exception cref="InvalidInputException">Not a similarity CSV.</exception>
    public static SimilarityMatrix ReadFile(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            return Read(reader, path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"similarity CSV '{path}' does not exist", e);
        }
    }

    /// <summary>A number as the CSV writes it: shortest round-trip form, invariant culture, <c>NaN</c> for NaN.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A field, quoted when it holds a comma, quote or line break.</summary>
    public static string Quote(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static List<string> Split(string line, string source, int lineNumber)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c != '"')
                {
                    cell.Append(c);
                }
                else if (i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else
                {
                    quoted = false;
                }
            }
            else if (c == '"' && cell.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }
        if (quoted)
        {
            throw new InvalidInputException($"{source} line {lineNumber}: unterminated quoted field", source);
        }

        cells.Add(cell.ToString());
        return cells;
    }
}
