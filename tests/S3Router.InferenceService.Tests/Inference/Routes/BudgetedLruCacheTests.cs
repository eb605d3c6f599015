using S3Router.InferenceService.Inference.Routes;

namespace S3Router.InferenceService.Tests.Inference.Routes;

public sealed class BudgetedLruCacheTests
{
    private sealed class Value(string name) : IDisposable
    {
        public string Name { get; } = name;

        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    private static readonly CancellationToken Token = CancellationToken.None;

    private static Func<Task<(Value, long)>> Make(string name, long bytes, List<Value>? created = null) => () =>
    {
        var value = new Value(name);
        created?.Add(value);
        return Task.FromResult((value, bytes));
    };

    private static async Task<Value> UseAsync(BudgetedLruCache<string, Value> cache, string key, long bytes, List<Value>? created = null)
    {
        using var lease = await cache.AcquireAsync(key, Make(key, bytes, created), Token);
        return lease.Value;
    }

    [Fact]
    public async Task AcquireAsync_OverBudget_EvictsLeastRecentlyUsedAndDisposesIt()
    {
        // Arrange: budget for two values of 10 bytes.
        using var cache = new BudgetedLruCache<string, Value>(20, "hot");
        var a = await UseAsync(cache, "a", 10);
        var b = await UseAsync(cache, "b", 10);
        await UseAsync(cache, "a", 10); // a is now more recent than b

        // Act
        await UseAsync(cache, "c", 10);

        // Assert
        Assert.True(b.Disposed);
        Assert.False(a.Disposed);
        Assert.True(cache.Contains("a"));
        Assert.False(cache.Contains("b"));
        Assert.Equal(20, cache.ResidentBytes);
        Assert.Equal(1, cache.Evictions);
    }

    [Fact]
    public async Task AcquireAsync_Hit_ReturnsSameValueWithoutBuilding()
    {
        using var cache = new BudgetedLruCache<string, Value>(100, "hot");
        var created = new List<Value>();

        var first = await UseAsync(cache, "a", 10, created);
        var second = await UseAsync(cache, "a", 10, created);

        Assert.Same(first, second);
        Assert.Single(created);
    }

    [Fact]
    public async Task AcquireAsync_PinnedKey_NeverEvicted()
    {
        using var cache = new BudgetedLruCache<string, Value>(10, "hot");
        cache.Pin("pinned");
        var pinned = await UseAsync(cache, "pinned", 10);

        var other = await UseAsync(cache, "other", 10);

        Assert.False(pinned.Disposed);
        Assert.True(other.Disposed);
        Assert.True(cache.Contains("pinned"));
        Assert.Equal(10, cache.ResidentBytes);
    }

    [Fact]
    public async Task AcquireAsync_LeasedValue_EvictedOnlyAfterRelease()
    {
        // Arrange
        using var cache = new BudgetedLruCache<string, Value>(10, "hot");
        var lease = await cache.AcquireAsync("busy", Make("busy", 10), Token);

        // Act: a second value overflows the budget while "busy" is in use.
        await UseAsync(cache, "next", 10);
        var disposedWhileLeased = lease.Value.Disposed;
        var busyHeld = cache.Contains("busy");
        lease.Dispose();

        // Assert: "next" (unleased, older) went first; "busy" stayed until released, and the budget holds again.
        Assert.False(disposedWhileLeased);
        Assert.True(busyHeld);
        Assert.True(cache.ResidentBytes <= 10);
    }

    [Fact]
    public async Task Unpin_OverBudget_EvictsTheFormerlyPinnedValue()
    {
        using var cache = new BudgetedLruCache<string, Value>(10, "hot");
        cache.Pin("a");
        cache.Pin("b");
        var a = await UseAsync(cache, "a", 10);
        await UseAsync(cache, "b", 10);

        cache.Unpin("a");

        Assert.True(a.Disposed);
        Assert.False(cache.Contains("a"));
        Assert.True(cache.Contains("b"));
    }

    [Fact]
    public async Task AcquireAsync_FactoryFails_NotCachedAndNextCallRetries()
    {
        using var cache = new BudgetedLruCache<string, Value>(100, "hot");

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            cache.AcquireAsync("a", () => Task.FromException<(Value, long)>(new InvalidOperationException("boom")), Token));
        var value = await UseAsync(cache, "a", 10);

        Assert.Equal("a", value.Name);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task AcquireAsync_ConcurrentCallers_ShareOneBuild()
    {
        using var cache = new BudgetedLruCache<string, Value>(100, "hot");
        var release = new TaskCompletionSource();
        var builds = 0;
        async Task<(Value, long)> SlowBuild()
        {
            Interlocked.Increment(ref builds);
            await release.Task;
            return (new Value("a"), 10);
        }

        var first = cache.AcquireAsync("a", SlowBuild, Token);
        var second = cache.AcquireAsync("a", SlowBuild, Token);
        release.SetResult();
        using var l1 = await first;
        using var l2 = await second;

        Assert.Same(l1.Value, l2.Value);
        Assert.Equal(1, builds);
    }
}
