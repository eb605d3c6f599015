namespace S3Router.Gateway.Auth;

/// <summary>
/// A token bucket: holds up to <c>burst</c> permits, refilled continuously at <c>permitsPerSecond</c>. Refilled lazily
/// from <see cref="TimeProvider"/> timestamps on each acquire, so it needs no timer and tests can drive the clock.
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _permitsPerSecond;
    private readonly int _burst;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _lastRefill;

    public TokenBucket(double permitsPerSecond, int burst, TimeProvider time)
    {
        _permitsPerSecond = permitsPerSecond;
        _burst = burst;
        _time = time;
        _tokens = burst;
        _lastRefill = time.GetTimestamp();
    }

    /// <summary>Takes one permit, or returns false with how long until one is available.</summary>
    public bool TryAcquire(out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_permitsPerSecond <= 0)
        {
            return true;
        }
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(_lastRefill, now);
            _lastRefill = now;
            _tokens = Math.Min(_burst, _tokens + elapsed.TotalSeconds * _permitsPerSecond);
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return true;
            }
            retryAfter = TimeSpan.FromSeconds((1 - _tokens) / _permitsPerSecond);
            return false;
        }
    }
}
