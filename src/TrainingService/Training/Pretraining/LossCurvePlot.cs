namespace S3Router.TrainingService.Training.Pretraining;

/// <summary>Draws a loss CSV (<see cref="LossLog"/>) as a PNG: raw loss per step and a 50-step moving average.</summary>
internal static class LossCurvePlot
{
    public static void Write(string csvPath, string pngPath, string title)
    {
        var rows = LossLog.Read(csvPath);
        if (rows.Count == 0)
        {
            return;
        }

        var steps = rows.Select(r => (double)r.Step).ToArray();
        var losses = rows.Select(r => r.Loss).ToArray();
        var smooth = new double[losses.Length];
        double window = 0;
        for (var i = 0; i < losses.Length; i++)
        {
            window += losses[i];
            if (i >= 50)
            {
                window -= losses[i - 50];
            }

            smooth[i] = window / Math.Min(i + 1, 50);
        }

        var plot = new ScottPlot.Plot();
        var raw = plot.Add.ScatterLine(steps, losses);
        raw.LegendText = "loss (masked frames)";
        raw.LineWidth = 1;
        raw.Color = ScottPlot.Colors.LightGray;
        var average = plot.Add.ScatterLine(steps, smooth);
        average.LegendText = "50-step average";
        average.LineWidth = 2;
        average.Color = ScottPlot.Colors.Blue;
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("cross-entropy (nats)");
        plot.ShowLegend();
        plot.SavePng(pngPath, 900, 500);
    }
}
