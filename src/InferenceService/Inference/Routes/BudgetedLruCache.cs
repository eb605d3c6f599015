using S3Router.InferenceService.Telemetry;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// A cache with a memory budget: values are built once per key (concurrent callers share the build), used through
/// leases, and the least recently used ones are evicted (and disposed) while the resident bytes exceed the budget.
/// A value with an open lease or a pinned key is never evicted, so the budget can be exceeded while everything is in
/// use; the excess goes as soon as leases close.
/// </summary>
internal sealed class BudgetedLruCache<TKey, TValue> : IDisposable
    where TKey : notnull
    where TValue : class
{
    private readonly Dictionary<TKey, Entry> _entries = [];
    private readonly LinkedList<Entry> _lru = new(); // most recently used last
    private readonly HashSet<TKey> _pinned = [];
    private readonly Lock _lock = new();
    private readonly long _budgetBytes;
    private readonly string _tier;
    private readonly InferenceMetrics? _metrics;
    private readonly Action? _afterEviction;
    private long _residentBytes;

    /// <param name="budgetBytes">Resident bytes above which unused values are evicted.</param>
    /// <param name="tier">Metrics label: <c>hot</c> or <c>cold</c>.</param>
    /// <param name="metrics">Where hits, misses, evictions and resident bytes go; none in unit tests.</param>
    /// <param name="afterEviction">Runs once after evicted values were disposed (outside the lock), e.g. to return freed native memory.</param>
    public BudgetedLruCache(long budgetBytes, string tier, InferenceMetrics? metrics = null, Action? afterEviction = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        _budgetBytes = budgetBytes;
        _tier = tier;
        _metrics = metrics;
        _afterEviction = afterEviction;
        _metrics?.ResidentBytes(tier, 0); // the series exists (0) before the first value arrives
    }

    /// <summary>Bytes of the values held now (as their builders estimated them).</summary>
    public long ResidentBytes
    {
        get
        {
            lock (_lock)
            {
                return _residentBytes;
            }
        }
    }

    /// <summary>Values held now, loaded or loading.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Number of evictions so far.</summary>
    public long Evictions { get; private set; }

    /// <summary>Number of builds started so far (misses).</summary>
    public long Builds { get; private set; }

    /// <summary>Whether <paramref name="key"/> is held (loaded or loading).</summary>
    public bool Contains(TKey key)
    {
        lock (_lock)
        {
            return _entries.ContainsKey(key);
        }
    }

    /// <summary>Keeps <paramref name="key"/>'s value resident whatever the budget (now or once it is built).</summary>
    public void Pin(TKey key)
    {
        lock (_lock)
        {
            _pinned.Add(key);
        }
    }

    /// <summary>Makes <paramref name="key"/> evictable again.</summary>
    public void Unpin(TKey key)
    {
        List<TValue> evicted;
        lock (_lock)
        {
            _pinned.Remove(key);
            evicted = EvictToBudget();
        }

        DisposeAll(evicted);
    }

    /// <summary>
    /// Returns a lease on <paramref name="key"/>'s value, building it with <paramref name="factory"/> (value and its
    /// size in bytes) when absent. The build runs on the thread pool and is shared by concurrent callers; the token only
    /// stops this caller's wait. A failed build is not cached.
    /// </summary>
    public async Task<CacheLease<TValue>> AcquireAsync(TKey key, Func<Task<(TValue Value, long Bytes)>> factory, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                entry = existing;
                _metrics?.CacheHit(_tier);
                _lru.Remove(entry.Node);
                _lru.AddLast(entry.Node);
            }
            else
            {
                entry = new Entry(key);
                _metrics?.CacheMiss(_tier);
                Builds++;
                _entries[key] = entry;
                _lru.AddLast(entry.Node);
                entry.Loading = Task.Run(() => LoadAsync(entry, factory), CancellationToken.None);
            }

            entry.Leases++;
        }

        try
        {
            var value = await entry.Loading.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new CacheLease<TValue>(value, () => Release(entry));
        }
        catch
        {
            Release(entry);
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        List<TValue> values;
        lock (_lock)
        {
            values = _entries.Values.Where(e => e.Value is not null).Select(e => e.Value!).ToList();
            _entries.Clear();
            _lru.Clear();
            _residentBytes = 0;
        }

        DisposeAll(values);
    }

    private void DisposeAll(List<TValue> values)
    {
        foreach (var value in values)
        {
            (value as IDisposable)?.Dispose();
        }

        if (values.Count > 0)
        {
            _afterEviction?.Invoke();
        }
    }

    private async Task<TValue> LoadAsync(Entry entry, Func<Task<(TValue Value, long Bytes)>> factory)
    {
        try
        {
            var (value, bytes) = await factory().ConfigureAwait(false);
            List<TValue> evicted;
            lock (_lock)
            {
                entry.Value = value;
                entry.Bytes = bytes;
                _residentBytes += bytes;
                evicted = EvictToBudget();
                _metrics?.ResidentBytes(_tier, _residentBytes);
            }

            DisposeAll(evicted);
            return value;
        }
        catch
        {
            lock (_lock)
            {
                if (_entries.TryGetValue(entry.Key, out var current) && current == entry)
                {
                    _entries.Remove(entry.Key);
                    _lru.Remove(entry.Node);
                }
            }

            throw;
        }
    }

    private void Release(Entry entry)
    {
        List<TValue> evicted;
        lock (_lock)
        {
            entry.Leases--;
            evicted = EvictToBudget();
        }

        DisposeAll(evicted);
    }

    // Called under the lock; the caller disposes what it returns outside the lock.
    private List<TValue> EvictToBudget()
    {
        var evicted = new List<TValue>();
        var node = _lru.First;
        while (_residentBytes > _budgetBytes && node is not null)
        {
            var next = node.Next;
            var entry = node.Value;
            if (entry.Leases == 0 && entry.Value is not null && !_pinned.Contains(entry.Key))
            {
                _lru.Remove(node);
                _entries.Remove(entry.Key);
                _residentBytes -= entry.Bytes;
                evicted.Add(entry.Value);
                Evictions++;
                _metrics?.CacheEvicted(_tier);
            }

            node = next;
        }

        _metrics?.ResidentBytes(_tier, _residentBytes);
        return evicted;
    }

    private sealed class Entry
    {
        public Entry(TKey key)
        {
            Key = key;
            Node = new LinkedListNode<Entry>(this);
        }

        public TKey Key { get; }

        public LinkedListNode<Entry> Node { get; }

        public Task<TValue> Loading { get; set; } = null!;

        public TValue? Value { get; set; }

        public long Bytes { get; set; }

        public int Leases { get; set; }
    }
}
