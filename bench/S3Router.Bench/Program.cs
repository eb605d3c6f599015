namespace S3Router.Bench;

/// <summary><c>S3Router.Bench backbone [--quick]</c>, <c>backbone-profile PRESET BATCH</c> or <c>training-step [--quick] [--presets tiny,base] [--no-malloc-tuning]</c>.</summary>
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
            case "training-step":
                TrainingStepBenchmark.Run(
                    quick: args.Contains("--quick"),
                    presets: args.SkipWhile(a => a != "--presets").Skip(1).FirstOrDefault()?.Split(',') ?? ["tiny", "base"],
                    noMallocTuning: args.Contains("--no-malloc-tuning"));
                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: S3Router.Bench backbone [--quick] | backbone-profile PRESET BATCH | training-step [--quick] [--presets tiny,base] [--no-malloc-tuning]");
                return 2;
        }
    }
}
