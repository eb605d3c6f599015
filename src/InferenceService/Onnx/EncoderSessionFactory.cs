using Google.Protobuf;
using S3Router.Core.Backbones;
using S3Router.Core.Errors;
using S3Router.Core.Masks;

namespace S3Router.InferenceService.Onnx;

/// <summary>
/// Builds the encoder sessions of one backbone, one per route mask, so that a hot route costs its own masked weights
/// and little else, and a build leaves no large garbage behind:
/// <list type="bullet">
/// <item>tensors the route leaves unmasked come from <see cref="SharedEncoderWeights"/> (one copy, one pre-packed form
/// per process);</item>
/// <item>masked tensors are computed from the packed bits into pooled arrays, and the graph wraps arrays instead of
/// copying them; the model is serialised into a pooled buffer, which ONNX Runtime parses and then no longer needs.</item>
/// </list>
/// Thread-safe. Dispose after every session it built.
/// </summary>
internal sealed class EncoderSessionFactory : IDisposable
{
    // A session's graph, kernels and plans: 1.4 MiB measured with models/tiny-ssl (bench session-cost).
    private const long GraphBytes = 3L << 19;

    // Its activation arena after a short utterance: about two FFN activations of 5 s (250 frames); 1.6 MiB measured
    // with models/tiny-ssl after 2.4 s. Longer or batched input grows it further (the arena keeps its peak).
    private const long ArenaFrames = 250;

    private readonly Wav2Vec2Config _config;
    private readonly IReadOnlyDictionary<string, WeightTensor> _weights;
    private readonly OnnxEngineOptions _options;
    private readonly SharedEncoderWeights _shared;
    private readonly ExactArrayPool<float> _floats;
    private readonly ExactArrayPool<byte> _models;

    /// <param name="config">The backbone's config.</param>
    /// <param name="weights">The backbone's weights (canonical names, validated); they must outlive the factory unchanged.</param>
    /// <param name="options">Engine options of every session; the unmasked session always has the CPU memory arena.</param>
    public EncoderSessionFactory(Wav2Vec2Config config, IReadOnlyDictionary<string, WeightTensor> weights, OnnxEngineOptions options)
    {
        _config = config;
        _weights = weights;
        _options = options;
        _shared = new SharedEncoderWeights(config, weights);
        var encoderBytes = weights.Where(w => !Wav2Vec2OnnxBuilder.IsFrontendParameter(config, w.Key)).Sum(w => (long)w.Value.Data.Length * sizeof(float));
        // One build's worth of each (two builds may overlap: the rest is allocated and dropped).
        _floats = new ExactArrayPool<float>(encoderBytes);
        _models = new ExactArrayPool<byte>(encoderBytes + (1L << 20));
        EncoderBytes = encoderBytes;
        SessionOverheadBytes = OverheadBytes(config);
    }

    /// <summary>What a session holds besides its own initializers: graph and kernels, and an activation arena for a short utterance.</summary>
    public long SessionOverheadBytes { get; }

    /// <summary><see cref="SessionOverheadBytes"/> of a backbone with <paramref name="config"/>.</summary>
    public static long OverheadBytes(Wav2Vec2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return GraphBytes + (2 * ArenaFrames * Math.Max(config.IntermediateSize, config.HiddenSize) * sizeof(float));
    }

    /// <summary>Bytes of the backbone's encoder tensors (float32), the cost of a session that shares nothing.</summary>
    public long EncoderBytes { get; }

    /// <summary>Bytes kept for reuse by the build pools now.</summary>
    public long PooledBytes => _floats.RetainedBytes + _models.RetainedBytes;

    /// <summary>
    /// Drops the build buffers kept for reuse (up to one build's worth of masked tensors and one serialised model, ~25 MiB
    /// for tiny-ssl), so that between bursts of builds the process does not hold them; the next build allocates them
    /// again. Returns the bytes dropped (they are garbage until the next full GC). Safe during a build.
    /// </summary>
    public long ReleasePooled() => _floats.Clear() + _models.Clear();

    /// <summary>
    /// Builds and loads the encoder session of <paramref name="masks"/> (none: the unmasked backbone). Returns it with
    /// its resident cost: the bytes of the tensors it owns (masked or shrunk, pre-packed by ONNX Runtime in place of
    /// the originals) plus <see cref="SessionOverheadBytes"/>; the shared tensors are paid once, by the unmasked session.
    /// </summary>
    /// <exception cref="FailedPreconditionException">A mask names a frontend or unknown tensor, or does not fit.</exception>
    /// <param name="masks">The route's masks; none for the unmasked backbone.</param>
    /// <param name="hiddenStates">Also output every layer's state (statistics-pooling routes, <see cref="OnnxEncoderSession.RunHiddenStates"/>).</param>
    public (OnnxEncoderSession Session, long Bytes) Create(IReadOnlyList<MaskTensor>? masks, bool hiddenStates = false)
    {
        var frontendMasked = masks?.FirstOrDefault(m => Wav2Vec2OnnxBuilder.IsFrontendParameter(_config, m.Name));
        if (frontendMasked is not null)
        {
            throw new FailedPreconditionException(
                $"The route mask covers '{frontendMasked.Name}', part of the shared frontend; build the whole graph for it instead.");
        }

        var rented = new List<float[]>();
        byte[]? model = null;
        try
        {
            var effective = masks is null or { Count: 0 } ? _weights : RouteMasks.Apply(_weights, masks, _floats.Rent, rented);
            var proto = Wav2Vec2OnnxBuilder.BuildEncoderFromEffective(_config, effective, out var emitted, hiddenStates);
            var shared = new List<string>();
            long owned = 0;
            foreach (var initializer in proto.Graph.Initializer)
            {
                if (emitted.TryGetValue(initializer.Name, out var tensor) && _shared.IsShared(initializer.Name, tensor))
                {
                    shared.Add(initializer.Name);
                }
                else
                {
                    owned += initializer.RawData.Length;
                }
            }

            model = _models.Rent(proto.CalculateSize());
            proto.WriteTo(model.AsSpan());
            // The unmasked session is built once and pinned: its arena never churns, so it always keeps one (and its pattern).
            var engine = masks is null or { Count: 0 } ? _options.ForPinnedSession() : _options;
            var session = OnnxEncoderSession.Load(model, _config, engine, options =>
            {
                foreach (var name in shared)
                {
                    _shared.AddTo(options, name);
                }
            }, _shared.Container);
            var bytes = (masks is null or { Count: 0 } ? EncoderBytes : owned) + SessionOverheadBytes;
            return (session, bytes);
        }
        finally
        {
            foreach (var array in rented)
            {
                _floats.Return(array);
            }

            if (model is not null)
            {
                _models.Return(model);
            }
        }
    }

    public void Dispose() => _shared.Dispose();
}
