using System.ComponentModel.DataAnnotations;

namespace S3Router.InferenceService;

/// <summary>
/// How the inference pod loads its backbone, finds routes and batches requests. Bound from the <c>Inference</c>
/// section (env: <c>Inference__MaxBatchSize</c>).
/// </summary>
internal sealed class InferenceOptions
{
    public const string SectionName = "Inference";

    /// <summary>Backbone directory (<c>config.json</c> + <c>model.safetensors</c>). Default: <c>models/tiny-ssl</c>.</summary>
    [Required]
    public string BackboneDirectory { get; set; } = Path.Combine("models", "tiny-ssl");

    /// <summary>Address of the MaskRegistry. Default: <c>http://localhost:50053</c>.</summary>
    [Required]
    [Url]
    public string RegistryAddress { get; set; } = "http://localhost:50053";

    /// <summary>API key sent to the registry (role reader is enough); none when the registry allows anonymous reads. Default: none.</summary>
    public string? RegistryApiKey { get; set; }

    /// <summary>
    /// Routes loaded at start-up and kept hot whatever the budget, as <c>task/language</c> or
    /// <c>task/language@ref</c> (e.g. <c>asr/en</c>, <c>speaker/und@canary</c>). Default: none.
    /// </summary>
    public List<string> Preload { get; set; } = [];

    /// <summary>
    /// Routes fetched at start-up into the cold tier only, in the same form as <see cref="Preload"/>: the bundle is
    /// downloaded, checked against its digest and the backbone and kept as packed bits, but no ONNX session is built
    /// until the first request for the route (which then builds it, as for any route whose bundle is cached). Meant for
    /// more routes than the hot tier holds. Not pinned: <see cref="ColdCacheBudgetBytes"/> and its LRU order apply, so
    /// entries beyond the budget evict the earlier ones. Loaded after <see cref="Preload"/>, in order; an entry that
    /// fails (unknown route, bad digest, another backbone) is logged and counted
    /// (<c>s3router_inference_background_loads_total{trigger="preload",tier="cold"}</c>) and the others still load. When
    /// the entry's alias moves, the new version is fetched cold too. Default: none.
    /// </summary>
    public List<string> PreloadCold { get; set; } = [];

    /// <summary>
    /// Aliases whose moves (WatchMasks <c>ALIAS_SET</c> events, which a publish with an alias also sends) fetch the new
    /// version into the cold tier on routes this pod has not served yet, without building a session (e.g.
    /// <c>production</c>). Routes the pod serves are prefetched hot on any alias move whatever this says. Off by
    /// default because the gateway hashes routes onto pods: with it every pod fetches every route published under
    /// these aliases, most of which other pods serve. Default: none.
    /// </summary>
    public List<string> PrefetchColdAliases { get; set; } = [];

    /// <summary>Largest number of utterances in one backbone batch. Default: 8. Range: 1-256.</summary>
    [Range(1, 256)]
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>
    /// Largest padded audio of one backbone batch (frontend, encoder or whole graph), in seconds: a batch pads every
    /// utterance to its longest, so it holds batch size × longest utterance, and its activations (the conv frontend's
    /// first layer, attention's frames² per head) grow with that. A batch is cut, in arrival order, before the request
    /// that would take it over this; a request longer than this runs alone. The default, one utterance of
    /// <see cref="MaxAudioSeconds"/>' default, keeps 8 concurrent 60 s requests from running as one 8 × 60 s batch (a
    /// tiny-ssl pod peaked at 0.67 GiB instead of 2.8 GiB) and short requests from waiting on a long one's padded batch,
    /// while batches of up to 8 × 7.5 s stay whole (bench/README.md, "Long requests in one batch"). 0: no cap (batches limited by <see cref="MaxBatchSize"/> only).
    /// Default: 60 s. Range: 0-3600 s.
    /// </summary>
    [Range(0.0, 3600.0)]
    public double MaxBatchAudioSeconds { get; set; } = 60;

    /// <summary>Longest time the first request of a batch waits for more. Default: 5 ms. Range: 0-1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:01")]
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Requests that may wait per route version; one more gets RESOURCE_EXHAUSTED. Default: 64. Range: 1-100000.</summary>
    [Range(1, 100_000)]
    public int QueueCapacity { get; set; } = 64;

    /// <summary>
    /// Memory for hot routes (ready ONNX sessions), in bytes; least recently used unpinned sessions are evicted above
    /// it. A route's encoder session costs the float32 size of the tensors its mask changes (the unmasked tensors are
    /// shared by all sessions and paid once, by the pinned unmasked session) plus its graph and activation arena for a
    /// short utterance; a whole-graph session (<see cref="ShareFrontend"/> off, token dropping) the whole backbone's
    /// float32 size plus the same overhead. Default: 2 GiB. Range: 0 B - 1 TiB.
    /// </summary>
    [Range(0L, 1L << 40)]
    public long MaskCacheBudgetBytes { get; set; } = 2L << 30;

    /// <summary>Memory for cold routes (packed mask bundles), in bytes. Default: 512 MiB. Range: 0 B - 1 TiB.</summary>
    [Range(0L, 1L << 40)]
    public long ColdCacheBudgetBytes { get; set; } = 512L << 20;

    /// <summary>
    /// Run the backbone's unmasked frontend (conv feature extractor, feature projection, positional conv) once per
    /// utterance for all routes whose masks cover only transformer layers, and only the encoder per route. Off: every
    /// route runs the whole graph. Default: true.
    /// </summary>
    public bool ShareFrontend { get; set; } = true;

    /// <summary>
    /// Give the native memory of evicted hot routes back to the OS: a fixed glibc mmap threshold (128 KiB) for the
    /// process and a malloc_trim after each hot-tier eviction. Off: glibc's defaults, under which RSS grows with route
    /// churn although the hot tier stays within its budget (bench/README.md, "Route churn"). Linux with glibc only;
    /// elsewhere a no-op. Default: true.
    /// </summary>
    public bool ReturnFreedNativeMemory { get; set; } = true;

    /// <summary>
    /// Quiet time after the last route load (fetch, session build, eviction) before one memory settle: the session
    /// builds' pooled buffers are dropped, then a blocking full GC that compacts the large object heap and decommits,
    /// then a glibc trim, so a burst of loads does not leave its garbage or its build buffers committed (bench/README.md,
    /// "Cold routes without fetch garbage", "Route churn: the build pools"). Zero turns it off. Default: 1 s.
    /// Range: 0 - 10 min.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MemorySettleDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Least time between two memory settles (<see cref="MemorySettleDelay"/>). Default: 10 s. Range: 0 - 1 h.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MemorySettleMinInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Backbone batches (frontend or encoder, any route) that may run at the same time in this process; 0 means
    /// cores / <see cref="IntraOpThreads"/> (at least 1). Batches beyond it wait and grow instead of oversubscribing the
    /// cores. Default: 0 (auto). Range: 0-256.
    /// </summary>
    [Range(0, 256)]
    public int MaxConcurrentRuns { get; set; }

    /// <summary>
    /// Streaming interim results: seconds of audio before the new audio that each interim pass runs on as left context
    /// (the work per interim is this plus the new audio, never the whole stream). Default: 2 s. Range: 0-30 s.
    /// </summary>
    [Range(0.0, 30.0)]
    public double StreamingContextSeconds { get; set; } = 2;

    /// <summary>Threads one forward pass may use (ONNX Runtime intra-op pool). Default: 2. Range: 1-256.</summary>
    [Range(1, 256)]
    public int IntraOpThreads { get; set; } = 2;

    /// <summary>
    /// When ONNX Runtime's intra-op threads busy-wait for work. Every session (the frontend, each hot route's encoder)
    /// has its own threads; with ONNX Runtime's default (<c>Always</c>) the threads of the session that just ran keep
    /// spinning on the cores while the next session runs, so requests spread over many routes ran at about half the
    /// throughput of one route (bench/README.md, "Mixed routes: idle sessions spinning"). <c>WhileRunning</c> spins only
    /// during a run; <c>Never</c> never spins (least CPU on an oversubscribed node, a wake-up per parallel operator).
    /// Default: WhileRunning.
    /// </summary>
    public Onnx.OnnxSpinning IntraOpSpinning { get; set; } = Onnx.OnnxSpinning.WhileRunning;

    /// <summary>
    /// Whether route sessions (each hot route's encoder, or whole graph) allocate from ONNX Runtime's CPU memory arena.
    /// The arena keeps freed chunks and grows in large extensions; off, each tensor is a plain allocation. Off makes each
    /// route session about 1 MiB smaller but did not reduce what route churn leaves resident, and slowed hot requests by
    /// 31-48 % on tiny-ssl (bench/README.md, "ONNX Runtime's CPU arena for route sessions"). The frontend and the
    /// unmasked encoder, built once, always keep theirs. Default: true.
    /// </summary>
    public bool OnnxMemoryArena { get; set; } = true;

    /// <summary>
    /// Every session (frontend, unmasked encoder, routes) gives back the arena memory a run grew when the run held more
    /// than this much audio (batch × longest utterance, seconds): a long request no longer raises the pod's memory for
    /// good (one 60 s request grew a tiny-ssl pod by 0.5–0.7 GiB each time; with 10: +5 MiB for a second one), while
    /// shorter requests keep the arena's fast path (bench/README.md, "Long requests and the arenas"). 0: after every
    /// run. Default: 10. Range: 0-3600.
    /// </summary>
    [Range(0, 3600)]
    public double ArenaShrinkAboveSeconds { get; set; } = 10;

    /// <summary>
    /// Whether route sessions plan their activations' memory once per input shape (ONNX Runtime's
    /// <c>EnableMemoryPattern</c>). Speech requests have arbitrary lengths, so a plan is rarely reused, but off made
    /// no measurable difference on tiny-ssl: the same RSS per hot session and after 141 distinct lengths, hot latency
    /// within the run-to-run spread (bench/README.md, "ONNX Runtime's memory pattern for route sessions"). The
    /// frontend and the unmasked encoder, built once, always keep theirs. Default: true.
    /// </summary>
    public bool OnnxMemoryPattern { get; set; } = true;

    /// <summary>Longest audio of one request or stream, in seconds. Default: 60. Range: 1-3600.</summary>
    [Range(1, 3600)]
    public int MaxAudioSeconds { get; set; } = 60;

    /// <summary>Largest audio content of one request or stream, in bytes. Default: 16 MiB. Range: 1 KiB - 1 GiB.</summary>
    [Range(1024, 1 << 30)]
    public int MaxAudioBytes { get; set; } = 16 << 20;

    /// <summary>How long a resolved mask ref is reused before asking the registry again (WatchMasks events clear it sooner). Default: 5 s. Range: 0-1 h.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ResolveCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest mask bundle downloaded, in bytes. Default: 1 GiB. Range: 1 KiB - 64 GiB.</summary>
    [Range(1024L, 64L << 30)]
    public long MaxBundleBytes { get; set; } = 1L << 30;
}
