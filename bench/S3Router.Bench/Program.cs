namespace S3Router.Bench;

/// <summary><c>S3Router.Bench backbone [--quick]</c>, <c>backbone-profile PRESET BATCH</c> or <c>quality --corpus DIR [...]</c>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "backbone":
                await BackboneBenchmark.RunAsync(quick: args.Contains("--quick"));
                return 0;
            case "backbone-profile" when args.Length == 3 && int.TryParse(args[2], out var batch):
                await OnnxProfile.RunAsync(args[1], batch);
                return 0;
            case "quality":
                return await QualityBenchmark.RunAsync(args[1..]);
            case "quality-job" when args.Length == 3:
                return await QualityBenchmark.RunJobAsync(args[1], args[2]);
            default:
                await Console.Error.WriteLineAsync("usage: S3Router.Bench backbone [--quick] | backbone-profile PRESET BATCH | quality --corpus DIR [...]");
                return 2;
        }
    }
}
