namespace S3Router.Bench;

/// <summary><c>S3Router.Bench backbone [--quick]</c>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] != "backbone")
        {
            await Console.Error.WriteLineAsync("usage: S3Router.Bench backbone [--quick]");
            return 2;
        }

        await BackboneBenchmark.RunAsync(quick: args.Contains("--quick"));
        return 0;
    }
}
