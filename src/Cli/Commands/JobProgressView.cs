using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using S3Router.Api.V1;
using Spectre.Console;

namespace S3Router.Cli.Commands;

/// <summary>Shows a job's updates: a live progress bar on a terminal, one line per update (at most one a second) when redirected; then a summary table.</summary>
internal static class JobProgressView
{
    /// <summary>Follows <paramref name="updates"/> to its end on the invocation's output; returns the last job seen (null when there was none).</summary>
    public static async Task<Job?> FollowAsync(ParseResult parse, IAsyncEnumerable<Job> updates, CancellationToken cancellationToken)
    {
        Job? last = null;
        var console = OutputConsole.Create(parse);
        if (!OutputConsole.IsLive(console))
        {
            var sinceLine = Stopwatch.StartNew();
            await foreach (var job in updates.WithCancellation(cancellationToken))
            {
                var important = last is null || last.State != job.State || job.Progress is { Phase.Length: 0 } p && p.Step == p.TotalSteps;
                if (important || sinceLine.Elapsed >= TimeSpan.FromSeconds(1))
                {
                    await parse.InvocationConfiguration.Output.WriteLineAsync($"{DateTime.UtcNow:HH:mm:ss} {Line(job)}");
                    sinceLine.Restart();
                }

                last = job;
            }

            return last;
        }

        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                ProgressTask? bar = null;
                await foreach (var job in updates.WithCancellation(cancellationToken))
                {
                    bar ??= ctx.AddTask(Markup.Escape(Line(job)), maxValue: Math.Max(1, job.Progress?.TotalSteps ?? 1));
                    var progress = job.Progress ?? new JobProgress();
                    bar.MaxValue = Math.Max(1, progress.TotalSteps);
                    bar.Value = Math.Min(progress.Step, bar.MaxValue);
                    bar.Description = Markup.Escape(Line(job));
                    last = job;
                }

                if (bar is not null && last?.State == JobState.Succeeded)
                {
                    bar.Value = bar.MaxValue;
                }
            });
        return last;
    }

    /// <summary>Prints the job's outcome and metrics as tables on the invocation's output; returns the exit code (0 only for SUCCEEDED).</summary>
    public static int PrintSummary(ParseResult parse, Job? job)
    {
        if (job is null)
        {
            parse.InvocationConfiguration.Error.WriteLine("error: no update received");
            return 1;
        }

        var table = new Table().AddColumn("Job").AddColumn(Markup.Escape(job.Id));
        table.AddRow("State", State(job.State));
        if (job.Progress is { } p)
        {
            table.AddRow("Steps", $"{p.Step} / {p.TotalSteps}");
        }

        if (job.Result is { } r)
        {
            table.AddRow("Output", Markup.Escape(r.OutputPath));
            if (r.BundleDigest.Length > 0)
            {
                table.AddRow("Bundle", Markup.Escape(r.BundleDigest));
            }

            if (r.TorchThreads > 0)
            {
                table.AddRow("Torch threads", r.TorchThreads.ToString(CultureInfo.InvariantCulture)); // rerun with this count for the same result
            }

            if (r.OnednnMaxIsa.Length > 0)
            {
                table.AddRow("oneDNN level", Markup.Escape(r.OnednnMaxIsa)); // and at this level (ONEDNN_MAX_CPU_ISA)
            }

            if (r.Published is { } v)
            {
                table.AddRow("Published", Markup.Escape($"{v.Task}/{v.LanguageCode} v{v.Version} {v.Digest}"));
            }
        }

        if (job.Error.Length > 0)
        {
            table.AddRow("Error", Markup.Escape(job.Error));
        }

        var console = OutputConsole.Create(parse);
        console.Write(table);
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in job.Progress?.EvalMetrics ?? [])
        {
            metrics[name] = value;
        }

        foreach (var (name, value) in job.Result?.Metrics ?? [])
        {
            metrics[name] = value;
        }

        if (metrics.Count > 0)
        {
            var metricTable = new Table().AddColumn("Metric").AddColumn(new TableColumn("Value").RightAligned());
            foreach (var (name, value) in metrics)
            {
                metricTable.AddRow(Markup.Escape(name), value.ToString("0.####", CultureInfo.InvariantCulture));
            }

            console.Write(metricTable);
        }

        return job.State == JobState.Succeeded ? 0 : 1;
    }

    public static string State(JobState state) => state.ToString().ToUpperInvariant();

    internal static string Line(Job job)
    {
        var p = job.Progress ?? new JobProgress();
        var line = $"{job.Spec?.Task}/{job.Spec?.LanguageCode} {State(job.State)} step {p.Step}/{p.TotalSteps}";
        if (p.Phase.Length > 0)
        {
            // Work between steps (feature caching, evaluation) can take minutes: say what it is and how far it got.
            return line + $" {p.Phase.Replace('_', ' ')}" + (p.PhaseTotal > 0 ? $" {p.PhaseDone}/{p.PhaseTotal}" : "");
        }

        if (p.Step > 0)
        {
            line += string.Create(CultureInfo.InvariantCulture, $" loss {p.Loss:0.0000} lr {p.LearningRate:0.###e0} {p.ExamplesPerSecond:0.#} ex/s");
        }

        if (p.Eta is { } eta && eta.ToTimeSpan() > TimeSpan.Zero)
        {
            line += $" eta {eta.ToTimeSpan():hh\\:mm\\:ss}";
        }

        foreach (var (name, value) in p.EvalMetrics.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            line += string.Create(CultureInfo.InvariantCulture, $" {name} {value:0.####}");
        }

        return line;
    }
}
