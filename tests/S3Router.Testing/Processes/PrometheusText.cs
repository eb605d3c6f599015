using System.Globalization;

namespace S3Router.Testing.Processes;

/// <summary>Reads samples out of the Prometheus text exposition format.</summary>
public static class PrometheusText
{
    /// <summary>
    /// The sum of every sample of <paramref name="metric"/> whose label set contains each of <paramref name="labels"/>
    /// (e.g. <c>status="ok"</c>); 0 when there is none.
    /// </summary>
    public static double Sum(string text, string metric, params string[] labels)
    {
        var sum = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(metric, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[metric.Length..];
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' '))
            {
                continue; // a longer metric name with this one as prefix
            }

            var space = rest.LastIndexOf(' ');
            var labelSet = rest[..space];
            if (labels.All(l => labelSet.Contains(l, StringComparison.Ordinal))
                && double.TryParse(rest[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sum += value;
            }
        }

        return sum;
    }
}
