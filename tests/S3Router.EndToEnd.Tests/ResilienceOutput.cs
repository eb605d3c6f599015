using S3Router.Testing.Resilience;

namespace S3Router.EndToEnd.Tests;

/// <summary>Writes what a resilience scenario saw to the test output, so a failure shows the figures.</summary>
internal static class ResilienceOutput
{
    public static void Log(string line) => TestContext.Current.TestOutputHelper?.WriteLine(line);

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
