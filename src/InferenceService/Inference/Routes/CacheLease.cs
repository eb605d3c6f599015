namespace S3Router.InferenceService.Inference.Routes;

/// <summary>A use of a cached value: while any lease is open the value is never evicted. Dispose to release it.</summary>
internal sealed class CacheLease<TValue>(TValue value, Action release) : IDisposable
{
    private int _released;

    /// <summary>The cached value.</summary>
    public TValue Value { get; } = value;

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            release();
        }
    }
}
