namespace S3Router.Bench;

/// <summary><c>S3Router.Bench backbone [--quick]</c>, <c>backbone-profile PRESET BATCH</c> or <c>resilience [--quick] [--only NAME]</c>.</summary>
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
            case "resilience":
                var only = Array.IndexOf(args, "--only") is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
                await ResilienceBenchmark.RunAsync(quick: args.Contains("--quick"), only);
                return 0;
            default:
                await Console.Error.WriteLineAsync(
                    "usage: S3Router.Bench backbone [--quick] | backbone-profile PRESET BATCH | resilience [--quick] [--only pod-loss|registry-loss|slow-pod|overload]");
                return 2;
        }
    }
}
