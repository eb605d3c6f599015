using S3Router.Core.Hosting;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.InferenceService.Inference.Batching;
using S3Router.InferenceService.Onnx;
using S3Router.InferenceService.Telemetry;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// Route resolution and the two-tier mask cache: resolve the ref, fetch the bundle by digest (cold tier: packed bits,
/// keyed by bundle digest), build or reuse the session of its masks (hot tier: <see cref="RouteEngine"/>, keyed by
/// mask key, one per mask per STYLE rule 19). Preloaded routes are pinned in both tiers; cold-preloaded and
/// cold-prefetched routes only enter the cold tier (no session until their first request) and are not pinned.
/// </summary>
internal sealed class RouteManager : IDisposable
{
    private readonly BackboneHost _backbone;
    private readonly MaskRegistrySource _registry;
    private readonly RouteResolver _resolver;
    private readonly InferenceOptions _options;
    private readonly InferenceMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly BudgetedLruCache<string, RouteModel> _cold;
    private readonly BudgetedLruCache<string, RouteEngine> _hot;
    private readonly Lock _lock = new();
    private readonly HashSet<(string Task, string Language)> _active = [];
    private readonly Dictionary<(string Task, string Language), (string Alias, RouteModel Model)> _preloaded = [];
    private readonly Dictionary<(string Task, string Language), string> _coldPreloaded = [];
    private readonly Lock _frontendLock = new();
    private readonly SemaphoreSlim _runs;
    // Cold prefetches one at a time: an alias event per route can come in bursts (one per route published), and
    // parallel downloads would only grow the pooled chunk buffers and thread count that stay after the burst.
    private readonly SemaphoreSlim _coldPrefetches = new(1, 1);
    private readonly MemorySettler _settler;
    private FrontendEngine? _frontend;
    private EncoderSessionFactory? _encoders;

    public RouteManager(
        BackboneHost backbone, MaskRegistrySource registry, RouteResolver resolver, IOptions<InferenceOptions> options,
        InferenceMetrics metrics, TimeProvider time)
    {
        _backbone = backbone;
        _registry = registry;
        _resolver = resolver;
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _cold = new BudgetedLruCache<string, RouteModel>(_options.ColdCacheBudgetBytes, "cold", metrics);
        // An evicted session's native memory goes back to the OS instead of staying in glibc's arenas (GlibcHeap).
        var returnFreed = _options.ReturnFreedNativeMemory && GlibcHeap.ReturnFreedMemory();
        metrics.MemorySettings(returnFreed);
        _hot = new BudgetedLruCache<string, RouteEngine>(
            _options.MaskCacheBudgetBytes, "hot", metrics, returnFreed ? () => GlibcHeap.Trim() : null);
        _hot.Pin(RouteModel.BaseMaskKey);
        var settle = MemorySettler.Default(returnFreed);
        _settler = new MemorySettler(_options.MemorySettleDelay, _options.MemorySettleMinInterval, time, () =>
        {
            // The session builds' pooled buffers (~25 MiB for tiny-ssl) serve a burst of builds; once the burst is over
            // they go with its garbage, else they stay resident for good (bench/README.md, "Route churn: the build pools").
            ReleaseBuildBuffers();
            settle();
        }, metrics);
        var concurrentRuns = _options.MaxConcurrentRuns > 0
            ? _options.MaxConcurrentRuns
            : Math.Max(1, Environment.ProcessorCount / _options.IntraOpThreads);
        _runs = new SemaphoreSlim(concurrentRuns, concurrentRuns);
    }

    /// <summary>
    /// Resolves <paramref name="selector"/> (empty ref = production) and returns a handle pinning that version.
    /// </summary>
    /// <exception cref="Core.Errors.NotFoundException">Unknown route or version.</exception>
    /// <exception cref="Core.Errors.FailedPreconditionException">The bundle does not fit the backbone.</exception>
    public async Task<RouteHandle> AcquireAsync(RouteSelector selector, CancellationToken cancellationToken)
    {
        var version = await _resolver.ResolveAsync(selector.Task, selector.LanguageCode, selector.MaskRef, cancellationToken);
        lock (_lock)
        {
            _active.Add((version.Task, version.LanguageCode));
        }

        return await AcquireAsync(version, cancellationToken);
    }

    /// <summary>The backbone's shared frontend, built on first use.</summary>
    /// <exception cref="Core.Errors.UnavailableException">The backbone is still loading.</exception>
    public FrontendEngine Frontend
    {
        get
        {
            lock (_frontendLock)
            {
                if (_frontend is null)
                {
                    var backbone = _backbone.Current;
                    var session = OnnxFrontendSession.Create(backbone.Config, backbone.Weights, EngineOptions.ForPinnedSession());
                    var batcher = new MicroBatcher<FrontendEngine.Request, FrontendOutput>(
                        batch => FrontendEngine.RunBatch(session, batch), _options.MaxBatchSize, _options.MaxBatchWait, _options.QueueCapacity, _time, _metrics.Batch, _runs,
                        request => request.Samples.Length, MaxBatchSamples);
                    _frontend = new FrontendEngine(session, batcher);
                }

                return _frontend;
            }
        }
    }

    // Route sessions (built and evicted with the hot tier) follow OnnxMemoryArena and OnnxMemoryPattern; the frontend,
    // built once, keeps its arena and pattern.
    private OnnxEngineOptions EngineOptions => new()
    {
        IntraOpThreads = _options.IntraOpThreads, Spinning = _options.IntraOpSpinning, CpuMemoryArena = _options.OnnxMemoryArena,
        MemoryPattern = _options.OnnxMemoryPattern, ArenaShrinkAboveSeconds = _options.ArenaShrinkAboveSeconds,
    };

    // Inference:MaxBatchAudioSeconds in 16 kHz samples, the unit of every batcher's cost (an encoder input's frames count
    // their hop in samples); 0: no cap.
    private long MaxBatchSamples => (long)(_options.MaxBatchAudioSeconds * Core.Audio.AudioDecoder.TargetSampleRateHertz);

    /// <summary>Builds the backbone's encoder sessions (shared unmasked weights, pooled build buffers), made on first use.</summary>
    private EncoderSessionFactory Encoders
    {
        get
        {
            lock (_frontendLock)
            {
                var backbone = _backbone.Current;
                return _encoders ??= new EncoderSessionFactory(backbone.Config, backbone.Weights, EngineOptions);
            }
        }
    }

    /// <summary>Bytes the session builds keep pooled for reuse now (tests, diagnostics).</summary>
    public long PooledBuildBytes
    {
        get
        {
            lock (_frontendLock)
            {
                return _encoders?.PooledBytes ?? 0;
            }
        }
    }

    /// <summary>Drops the session builds' pooled buffers; part of each memory settle.</summary>
    public void ReleaseBuildBuffers()
    {
        lock (_frontendLock)
        {
            _encoders?.ReleasePooled();
        }
    }

    /// <summary>Builds the backbone's unmasked session (pinned) and the shared frontend, so the pod is ready before the first route.</summary>
    public async Task WarmBaseAsync(CancellationToken cancellationToken)
    {
        if (_options.ShareFrontend)
        {
            _ = Frontend;
        }

        using var lease = await _hot.AcquireAsync(RouteModel.BaseMaskKey, () => BuildEngineAsync(RouteModel.BaseMaskKey, null), cancellationToken);
    }

    /// <summary>Loads a route version and keeps it hot (pinned) whatever the budget.</summary>
    public Task PreloadAsync(string task, string language, string reference, CancellationToken cancellationToken) =>
        CountedAsync("preload", "hot", async () =>
        {
            var version = await _resolver.ResolveAsync(task, language, reference, cancellationToken);
            using var handle = await AcquireAsync(version, cancellationToken);
            lock (_lock)
            {
                _active.Add((task, language));
                _preloaded[(task, language)] = (AliasOf(reference), handle.Model);
            }

            _cold.Pin(version.Digest);
            _hot.Pin(handle.Model.MaskKey);
        }, cancellationToken);

    /// <summary>
    /// Fetches a route version into the cold tier (digest and backbone checked) without building its session; the first
    /// request builds it. Not pinned: the cold budget may evict it. Later moves of <paramref name="reference"/>'s alias
    /// fetch the new version cold too (or hot, once the route has been served).
    /// </summary>
    /// <exception cref="Core.Errors.NotFoundException">Unknown route or version.</exception>
    /// <exception cref="Core.Errors.FailedPreconditionException">The bundle does not match its digest or does not fit the backbone.</exception>
    public Task PreloadColdAsync(string task, string language, string reference, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _coldPreloaded[(task, language)] = AliasOf(reference);
        }

        return CountedAsync("preload", "cold", () => LoadColdAsync(task, language, reference, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// After an alias move: on a route this pod serves, loads the version <paramref name="alias"/> now points at, so the
    /// next request finds it hot (a preloaded route moves its pins to the new version); on a route it has not served,
    /// fetches that version cold when the route was cold-preloaded under this alias or the alias is one of
    /// <see cref="InferenceOptions.PrefetchColdAliases"/>; otherwise nothing.
    /// </summary>
    public Task PrefetchAsync(string task, string language, string alias, CancellationToken cancellationToken)
    {
        bool active, cold;
        lock (_lock)
        {
            active = _active.Contains((task, language));
            cold = (_coldPreloaded.TryGetValue((task, language), out var preloadedAlias) && preloadedAlias == AliasOf(alias))
                || _options.PrefetchColdAliases.Contains(alias, StringComparer.Ordinal);
        }

        return active ? CountedAsync("prefetch", "hot", () => PrefetchHotAsync(task, language, alias, cancellationToken), cancellationToken)
            : cold ? CountedAsync("prefetch", "cold", () => PrefetchColdAsync(task, language, alias, cancellationToken), cancellationToken)
            : Task.CompletedTask;
    }

    /// <summary>Whether the session of <paramref name="maskKey"/> is hot (tests, diagnostics).</summary>
    public bool IsHot(string maskKey) => _hot.Contains(maskKey);

    /// <summary>Whether the bundle with <paramref name="digest"/> (<c>sha256:...</c>) is in the cold tier (tests, diagnostics).</summary>
    public bool IsCold(string digest) => _cold.Contains(digest);

    /// <summary>Both tiers' counts and estimates now (tests, diagnostics).</summary>
    public RouteCacheState CacheState => new(
        _hot.Count, _hot.ResidentBytes, _hot.Builds, _hot.Evictions, _cold.Count, _cold.ResidentBytes, _cold.Builds, _cold.Evictions);

    public void Dispose()
    {
        _settler.Dispose();
        _hot.Dispose();
        _cold.Dispose();
        lock (_frontendLock)
        {
            _frontend?.Dispose();
            _frontend = null;
            // After every session that took shared weights from it (the hot tier is disposed above).
            _encoders?.Dispose();
            _encoders = null;
        }

        _runs.Dispose();
        _coldPrefetches.Dispose();
    }

    private static string AliasOf(string reference) => reference.Length == 0 ? "production" : reference;

    private async Task PrefetchHotAsync(string task, string language, string alias, CancellationToken cancellationToken)
    {
        var version = await _resolver.ResolveAsync(task, language, alias, cancellationToken);
        using var handle = await AcquireAsync(version, cancellationToken);
        RouteModel? previous = null;
        lock (_lock)
        {
            if (_preloaded.TryGetValue((task, language), out var preloaded) && preloaded.Alias == AliasOf(alias)
                && preloaded.Model.Version.Digest != version.Digest)
            {
                previous = preloaded.Model;
                _preloaded[(task, language)] = (preloaded.Alias, handle.Model);
            }
        }

        if (previous is not null)
        {
            _cold.Pin(version.Digest);
            _hot.Pin(handle.Model.MaskKey);
            _cold.Unpin(previous.Version.Digest);
            if (previous.MaskKey != handle.Model.MaskKey && previous.MaskKey != RouteModel.BaseMaskKey)
            {
                _hot.Unpin(previous.MaskKey);
            }
        }
    }

    private async Task<RouteHandle> AcquireAsync(MaskVersion version, CancellationToken cancellationToken)
    {
        var model = await LoadColdAsync(version, cancellationToken);
        var engine = await _hot.AcquireAsync(model.MaskKey, () => BuildEngineAsync(model.MaskKey, model), cancellationToken);
        return new RouteHandle(model, engine);
    }

    private async Task PrefetchColdAsync(string task, string language, string alias, CancellationToken cancellationToken)
    {
        await _coldPrefetches.WaitAsync(cancellationToken);
        try
        {
            await LoadColdAsync(task, language, alias, cancellationToken);
        }
        finally
        {
            _coldPrefetches.Release();
        }
    }

    private async Task LoadColdAsync(string task, string language, string reference, CancellationToken cancellationToken)
    {
        var version = await _resolver.ResolveAsync(task, language, reference, cancellationToken);
        await LoadColdAsync(version, cancellationToken);
    }

    // The cold tier's lease ends here: the route stays cold (most recently used) until its session is built or the
    // budget evicts it.
    private async Task<RouteModel> LoadColdAsync(MaskVersion version, CancellationToken cancellationToken)
    {
        var backbone = _backbone.Current;
        using var cold = await _cold.AcquireAsync(version.Digest, () => FetchAsync(version, backbone), cancellationToken);
        return cold.Value;
    }

    private async Task CountedAsync(string trigger, string tier, Func<Task> load, CancellationToken cancellationToken)
    {
        try
        {
            await load();
        }
        catch (Exception e)
        {
            _metrics.BackgroundLoad(trigger, tier, StatusLabel.Of(e, cancellationToken));
            throw;
        }

        _metrics.BackgroundLoad(trigger, tier, "ok");
    }

    private async Task<(RouteModel, long)> FetchAsync(MaskVersion version, LoadedBackbone backbone)
    {
        using var load = _settler.Load();
        // Not the request's token: the fetch is shared with every request for this version.
        var bytes = await _registry.DownloadAsync(version, CancellationToken.None);
        var model = RouteModel.Create(version, bytes, backbone);
        return (model, model.Bytes);
    }

    private Task<(RouteEngine, long)> BuildEngineAsync(string maskKey, RouteModel? model)
    {
        using var load = _settler.Load();
        var backbone = _backbone.Current;
        var masks = model?.Bundle.Masks;
        var tokenDropping = model?.Bundle.TokenDropping;
        var hiddenStates = model?.NeedsHiddenStates == true;
        // Token dropping runs between the conv frontend and the projection, inside the whole graph only.
        if (_options.ShareFrontend && tokenDropping is null
            && (masks is null || !masks.Any(m => Wav2Vec2OnnxBuilder.IsFrontendParameter(backbone.Config, m.Name))))
        {
            var (encoder, bytes) = Encoders.Create(masks, hiddenStates);
            var encoderBatcher = new MicroBatcher<float[,], float[,]>(
                batch => hiddenStates ? encoder.RunHiddenStates([.. batch]) : encoder.Run([.. batch]),
                _options.MaxBatchSize, _options.MaxBatchWait, _options.QueueCapacity, _time, _metrics.Batch, _runs,
                frames => (long)frames.GetLength(0) * backbone.Config.FrameHopSamples, MaxBatchSamples);
            return Task.FromResult((RouteEngine.Encoder(encoder, encoderBatcher, maskKey, hiddenStates), bytes));
        }

        var session = OnnxBackboneSession.Create(
            backbone.Config, backbone.Weights, model?.UnpackMasks(), new OnnxBuildOptions { TokenDropping = tokenDropping, HiddenStates = hiddenStates }, EngineOptions);
        var batcher = new MicroBatcher<float[], BackboneOutput>(
            batch => session.RunFrames([.. batch]), _options.MaxBatchSize, _options.MaxBatchWait, _options.QueueCapacity, _time, _metrics.Batch, _runs,
            samples => samples.Length, MaxBatchSamples);
        return Task.FromResult((RouteEngine.Whole(session, batcher, maskKey, hiddenStates), backbone.SessionBytes + EncoderSessionFactory.OverheadBytes(backbone.Config)));
    }
}
