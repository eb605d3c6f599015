using S3Router.Testing.Resilience;

namespace S3Router.EndToEnd.Tests;

/// <summary>
/// Writes what a resilience scenario saw to the test output, so a failure shows the figures; also appended to the file
/// named by S3R_RESILIENCE_LOG when set, to see the figures of passing runs.
/// </summary>
internal static class ResilienceOutput
{
    private static readonly Lock FileLock = new();

    public static void Log(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        if (Environment.GetEnvironmentVariable("S3R_RESILIENCE_LOG") is { Length: > 0 } path)
        {
            lock (FileLock)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }
    }

    public static void Write(ScenarioResult result)
    {
        Log($"{result.Name}: {result.Load}; fault: {result.Fault}");
        Log($"  before: {result.Before}");
        Log($"  during: {result.During}");
        Log($"  after:  {result.After}");
        foreach (var failure in result.Whole.Failures)
        {
            Log($"  non-gRPC failure: {failure}");
        }

        foreach (var note in result.Notes)
        {
            Log($"  {note}");
        }
    }
}
