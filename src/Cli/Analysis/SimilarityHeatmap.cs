using System.Globalization;
using S3Router.Core.Analysis;
using ScottPlot;

namespace S3Router.Cli.Analysis;

/// <summary>Draws a <see cref="SimilarityMatrix"/> as a labelled heatmap PNG: one cell per pair with its value, and a colorbar.</summary>
internal static class SimilarityHeatmap
{
    private const int CellPixels = 64;
    private const int MarginPixels = 260;

    /// <summary>Writes the heatmap of <paramref name="matrix"/> to <paramref name="path"/>; the color scale spans the off-diagonal values up to 1.</summary>
    public static void WritePng(SimilarityMatrix matrix, string title, string metric, string path)
    {
        var n = matrix.Size;
        var values = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                values[i, j] = matrix[i, j];
            }
        }

        // ScottPlot cannot scale colors for data without one real number; such a matrix is drawn flat, each cell marked "–".
        var anyValue = matrix.RowMajor.Any(v => !double.IsNaN(v));
        if (!anyValue)
        {
            values = new double[n, n];
        }

        using var plot = new Plot();
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.NaNCellColor = Colors.LightGray;
        var (low, high) = ColorRange(matrix);
        heatmap.ManualRange = new ScottPlot.Range(low, high);
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = metric;

        // Row 0 is drawn at the top: cell (i, j) is centred on x = j, y = n - 1 - i.
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var value = matrix[i, j];
                var text = plot.Add.Text(double.IsNaN(value) ? "–" : value.ToString("0.000", CultureInfo.InvariantCulture), j, n - 1 - i);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = n > 12 ? 10 : 14;
                // Light text on the dark (low) end of viridis, dark text on the bright end.
                var relative = high > low ? (value - low) / (high - low) : 1;
                text.LabelFontColor = !double.IsNaN(value) && relative < 0.6 ? Colors.White : Colors.Black;
            }
        }

        var positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, [.. matrix.Labels]);
        plot.Axes.Left.SetTicks(positions, [.. matrix.Labels.Reverse()]);
        var longest = matrix.Labels.Max(l => l.Length);
        if (longest > 4)
        {
            // Long labels (asr/en@v3) would overlap side by side: slant them and reserve room below the cells.
            plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.UpperLeft;
            plot.Axes.Bottom.MinimumSize = 20 + 8 * longest;
        }
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.HideGrid();
        plot.Title(title);

        var size = MarginPixels + CellPixels * Math.Max(n, 4);
        plot.SavePng(path, size + 120, size);
    }

    /// <summary>Min of the off-diagonal values (so small differences stay visible) to max(1, ...); [0, 1] when there are none.</summary>
    private static (double Low, double High) ColorRange(SimilarityMatrix matrix)
    {
        var offDiagonal = matrix.UpperTriangle().Where(v => !double.IsNaN(v)).ToList();
        if (offDiagonal.Count == 0)
        {
            return (0, 1);
        }

        var low = offDiagonal.Min();
        var high = Math.Max(1.0, offDiagonal.Max());
        return low < high ? (low, high) : (high - 1, high);
    }
}
