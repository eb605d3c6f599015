using System.Diagnostics;
using S3Router.Core.Hosting;
using S3Router.InferenceService.Telemetry;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// After a burst of route loads (fetches, session builds, evictions), once no load has run for <c>delay</c>: one
/// blocking full GC that compacts the large object heap and decommits what it frees, then a glibc trim. A burst leaves
/// large-object free space (evicted bundles, build and request buffers) committed until a compacting GC happens to
/// run, so the resident size depended on GC timing (bench/README.md, "Cold routes without fetch garbage"). At most one
/// settle per <c>minInterval</c>; never while a load runs; nothing happens while no route is loaded. The pause stops
/// managed threads (ONNX Runtime's native compute goes on); it is measured into
/// <c>s3router_inference_memory_settle_seconds</c>.
/// </summary>
internal sealed class MemorySettler : IDisposable
{
    private readonly TimeSpan _delay;
    private readonly TimeSpan _minInterval;
    private readonly TimeProvider _time;
    private readonly Action _settle;
    private readonly InferenceMetrics? _metrics;
    private readonly Lock _lock = new();
    private readonly ITimer? _timer;
    private int _running;
    private bool _pending;
    private long _lastLoad;
    private long _lastSettle;
    private bool _disposed;

    /// <param name="delay">Quiet time after the last load before settling; zero turns settling off.</param>
    /// <param name="minInterval">Least time between two settles.</param>
    /// <param name="time">Clock and timers.</param>
    /// <param name="settle">The settle itself; <see cref="Default"/> in the service.</param>
    /// <param name="metrics">Where settles are counted and timed; none in unit tests.</param>
    public MemorySettler(TimeSpan delay, TimeSpan minInterval, TimeProvider time, Action settle, InferenceMetrics? metrics = null)
    {
        _delay = delay;
        _minInterval = minInterval;
        _time = time;
        _settle = settle;
        _metrics = metrics;
        _lastSettle = time.GetTimestamp() - Ticks(minInterval);
        if (delay > TimeSpan.Zero)
        {
            _timer = time.CreateTimer(_ => Tick(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Settles made so far.</summary>
    public int Settles { get; private set; }

    /// <summary>The service's settle: LOH-compacting, decommitting full GC, then glibc trim when <paramref name="trimNative"/>.</summary>
    public static Action Default(bool trimNative) => () => ResidentMemory.Settle(trimNative);

    /// <summary>Marks a load as running until the returned scope is disposed; the settle waits for it.</summary>
    public IDisposable Load()
    {
        if (_timer is null)
        {
            return NoScope.Instance;
        }

        lock (_lock)
        {
            _running++;
        }

        return new Scope(this);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }

        _timer?.Dispose();
    }

    private void Finished()
    {
        lock (_lock)
        {
            _running--;
            _pending = true;
            _lastLoad = _time.GetTimestamp();
            if (_running == 0 && !_disposed)
            {
                _timer!.Change(Due(), Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Tick()
    {
        lock (_lock)
        {
            if (_disposed || !_pending || _running > 0)
            {
                return; // a running load re-arms the timer when it finishes
            }

            var due = Due();
            if (due > TimeSpan.Zero)
            {
                _timer!.Change(due, Timeout.InfiniteTimeSpan);
                return;
            }

            _pending = false;
            _lastSettle = _time.GetTimestamp(); // a load finishing during the settle waits the full interval
        }

        var started = Stopwatch.GetTimestamp();
        _settle();
        var elapsed = Stopwatch.GetElapsedTime(started);
        lock (_lock)
        {
            Settles++;
        }

        _metrics?.MemorySettled(elapsed);
    }

    // Time left until both the quiet delay after the last load and the interval after the last settle have passed.
    private TimeSpan Due()
    {
        var now = _time.GetTimestamp();
        var quiet = _delay - _time.GetElapsedTime(_lastLoad, now);
        var spaced = _minInterval - _time.GetElapsedTime(_lastSettle, now);
        var due = quiet > spaced ? quiet : spaced;
        return due > TimeSpan.Zero ? due : TimeSpan.Zero;
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private sealed class Scope(MemorySettler owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Finished();
            }
        }
    }

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose()
        {
        }
    }
}
