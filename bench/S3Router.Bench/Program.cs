namespace S3Router.Bench;

/// <summary>The benchmarks, one command each; <see cref="Usage"/> lists them.</summary>
internal static class Program
{
    private const string Usage = """
        usage: S3Router.Bench COMMAND
          backbone [--quick]                 backbone forward: ONNX Runtime vs TorchSharp vs PyTorch
          backbone-profile PRESET BATCH      ONNX Runtime operator profile
          registry [--quick]                 mask registry: resolve latency, publish throughput (SQLite, PostgreSQL)
          quality --corpus DIR [...]         head vs mask vs weights quality per language, speaker, intent
                                             (--real-corpus DIR: ASR also scored on real speech)
          prune-tokens [--route FILE] [--manifest-dir DIR] [...]
                                             structured pruning CER vs compute, token dropping speedup vs CER
          serving [--quick] [--memory-only]  end-to-end latency, gateway vs direct, mixed routes, memory per route
                  [--gateway-only [--with-tiered-jit] [--with-parsing-gateway]] [--mixed-only] [--pattern-only]
                  [--long-only]
                                             only gateway vs direct: an instant backend, then the inference service
                                             (--with-tiered-jit: also a gateway with tiered JIT on, as before issue 7;
                                             --with-parsing-gateway: also one as before the Recognize pass-through)
                                             --mixed-only: only 8 mixed routes vs 1 route, per Inference:IntraOpSpinning
                                             --pattern-only: only Inference:OnnxMemoryPattern on vs off (hot latency at
                                             fixed and varying lengths, RSS), S3R_BENCH_PATTERN_ROUNDS rounds (default 3)
                                             --long-only: only 1/8/32 concurrent 60 s requests and 1-2 s ones with a
                                             60 s one in flight: peak RSS, latency per Inference:MaxBatchAudioSeconds
                                             (S3R_BENCH_BATCH_AUDIO=0,60: the values, 0 = no cap)
                                             S3R_BENCH_MEMORY_SETUPS=shipped,jemalloc,...: the memory processes' setups
                                             (shipped, workstation, no-arena, jemalloc, jemalloc-decay, jemalloc-nodecay,
                                             tcmalloc, tcmalloc-release; default shipped,workstation,no-arena)
                                             S3R_BENCH_MEMORY_ROUTES=N (at least 64, default 64): routes churned, with
                                             a point at every power of two from 64 and a second pass over all N
          gateway-hop [--seconds N] [--concurrency N] [--delay-ms N] [--env KEY=VALUE]...
                                             the gateway hop alone (instant backend, or one answering after N ms) for
                                             profiling: gateway CPU per call; --env goes to the gateway process
          route-churn [--routes N] [--hot N] [--passes N] [--native] [--trim] [--release-pools]
                                             hot-tier churn in process: RSS, GC and malloc heap per pass, and where RSS
                                             sits (heap, malloc arenas, thread stacks, other anonymous, files; threads);
                                             settled points at every power of two from 64 routes and after each pass
          cold-fetch [--routes N]            the cold tier's fetch path in process: allocations and memory per route
          session-cost [--count N] [--threads N] [--unshared]
                                             what one hot route's encoder session costs (RSS, malloc, GC) vs the estimate
          mixed-routes [--rounds N] [--threads N] [--gate N]
                                             8 mixed routes vs 1 route in process: encoder batch 8 vs 8 x batch 1 (one or 8 sessions)
          training-step [--quick] [--presets tiny,base] [--no-malloc-tuning]
                                             mask vs weights step time, TorchSharp vs PyTorch 1.13
          ensemble-head [--rounds N]         a conv_max ensemble head's cost per 2.5 s classification (1, 3, 5
                                             members) vs the backbone's all-states pass, in process, one thread
          onednn-isa [--rounds N]            libtorch's oneDNN at the CPU's level vs the AVX2 cap: NaN gradients, step time
          resilience [--quick] [--only NAME] pod loss, registry loss, slow pod, overload (NAME: pod-loss|registry-loss|slow-pod|overload)
        """;

    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "backbone":
                await BackboneBenchmark.RunAsync(quick: args.Contains("--quick"));
                return 0;
            case "serving":
                await ServingBenchmark.RunAsync(quick: args.Contains("--quick"), memoryOnly: args.Contains("--memory-only"), gatewayOnly: args.Contains("--gateway-only"),
                    withTieredJit: args.Contains("--with-tiered-jit"), withParsingGateway: args.Contains("--with-parsing-gateway"), mixedOnly: args.Contains("--mixed-only"),
                    patternOnly: args.Contains("--pattern-only"), longOnly: args.Contains("--long-only"));
                return 0;
            case "gateway-hop":
                await ServingBenchmark.GatewayHopOnlyAsync(Option(args, "--seconds", 30), Option(args, "--concurrency", 1), Option(args, "--delay-ms", 0),
                    args.Select((a, i) => (a, i)).Where(p => p.a == "--env" && p.i + 1 < args.Length).Select(p => args[p.i + 1].Split('=', 2))
                        .ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : ""));
                return 0;
            case "cold-fetch":
                await ColdFetchBenchmark.RunAsync(Option(args, "--routes", 64));
                return 0;
            case "session-cost":
                await SessionCostBenchmark.RunAsync(Option(args, "--count", 8), Option(args, "--threads", 2), args.Contains("--unshared"));
                return 0;
            case "mixed-routes":
                await MixedRoutesBenchmark.RunAsync(Option(args, "--rounds", 20), Option(args, "--threads", 2), Option(args, "--gate", 1));
                return 0;
            case "route-churn":
                await RouteChurnBenchmark.RunAsync(Option(args, "--routes", 64), Option(args, "--hot", 8), Option(args, "--passes", 4), args.Contains("--native"), args.Contains("--trim"), args.Contains("--release-pools"));
                return 0;
            case "backbone-profile" when args.Length == 3 && int.TryParse(args[2], out var batch):
                await OnnxProfile.RunAsync(args[1], batch);
                return 0;
            case "prune-tokens":
                return await PruneTokensBenchmark.RunAsync(args[1..]);
            case "resilience":
                var only = Array.IndexOf(args, "--only") is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
                await ResilienceBenchmark.RunAsync(quick: args.Contains("--quick"), only);
                return 0;
            case "training-step":
                TrainingStepBenchmark.Run(
                    quick: args.Contains("--quick"),
                    presets: args.SkipWhile(a => a != "--presets").Skip(1).FirstOrDefault()?.Split(',') ?? ["tiny", "base"],
                    noMallocTuning: args.Contains("--no-malloc-tuning"));
                return 0;
            case "ensemble-head":
                await EnsembleHeadBenchmark.RunAsync(Option(args, "--rounds", 50));
                return 0;
            case "onednn-isa":
                await OneDnnIsaBenchmark.RunAsync(Option(args, "--rounds", 4));
                return 0;
            case "onednn-isa-child":
                OneDnnIsaBenchmark.RunChild();
                return 0;
            case "registry":
                await RegistryBenchmark.RunAsync(quick: args.Contains("--quick"));
                return 0;
            case "quality":
                return await QualityBenchmark.RunAsync(args[1..]);
            case "quality-job" when args.Length == 3:
                return await QualityBenchmark.RunJobAsync(args[1], args[2]);
            case "quality-score" when args.Length == 5:
                return await QualityBenchmark.ScoreAsync(args[1], args[2], args[3], args[4]);
            default:
                await Console.Error.WriteLineAsync(Usage);
                return 2;
        }
    }

    private static int Option(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
