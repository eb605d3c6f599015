namespace S3Router.Cli.Tests;

/// <summary>
/// Tests that swap the process-wide <see cref="Console.Out"/>: they run alone, after the parallel tests, so no other
/// test's output lands in their capture and no other test loses its console.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "console";
}
