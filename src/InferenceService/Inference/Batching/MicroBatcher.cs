using S3Router.Core.Errors;

namespace S3Router.InferenceService.Inference.Batching;

/// <summary>
/// Groups single requests into batches for one model: a batch runs as soon as <c>maxBatch</c> requests wait, or when
/// the oldest waiting request has waited <c>maxWait</c>. At most <c>capacity</c> requests wait; one more is refused
/// with <see cref="ResourceExhaustedException"/>, so memory stays bounded. A request whose token fires leaves the
/// queue at once (freeing its slot); if its batch is already running, its result is dropped. Batches of one batcher
/// run one after another on the thread pool. With a <c>gate</c> shared by several batchers, a ready batch first waits
/// for a slot of the gate (so no more runs overlap than the cores can take) and then takes everything that arrived
/// meanwhile, up to <c>maxBatch</c>: contention turns into bigger batches instead of oversubscribed threads.
/// With a <c>cost</c> per request and a <c>maxBatchCost</c>, a batch is also cut where its padded cost (requests ×
/// the largest cost among them, as the batch pads to its longest input) would exceed the cap: batches are taken from the
/// head of the queue in order, the first request always goes (alone when it is over the cap by itself), and a batch cut
/// by the cap runs without waiting, so nothing is reordered and nothing starves.
/// </summary>
internal sealed class MicroBatcher<TIn, TOut> : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<TIn>, TOut[]> _runBatch;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxWait;
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly Action<int>? _onBatch;
    private readonly SemaphoreSlim? _gate;
    private readonly Func<TIn, long>? _cost;
    private readonly long _maxBatchCost;
    private readonly LinkedList<Pending> _queue = new();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private TaskCompletionSource _changed = NewSignal();

    /// <param name="runBatch">Runs one batch and returns one output per input, in order. Called on a pool thread.</param>
    /// <param name="maxBatch">Largest batch, at least 1.</param>
    /// <param name="maxWait">Longest time the oldest request waits for the batch to fill.</param>
    /// <param name="capacity">Most requests waiting (not yet in a running batch), at least 1.</param>
    /// <param name="time">Clock for the wait.</param>
    /// <param name="onBatch">Observes each batch's size (metrics).</param>
    /// <param name="gate">Slots for running batches, shared with other batchers; none means no limit.</param>
    /// <param name="cost">Padded cost of one request (e.g. its samples), at least 0; none means no cost cap.</param>
    /// <param name="maxBatchCost">
    /// Largest padded cost of a batch (requests × their largest <paramref name="cost"/>); 0 means no cap.
    /// </param>
    public MicroBatcher(
        Func<IReadOnlyList<TIn>, TOut[]> runBatch, int maxBatch, TimeSpan maxWait, int capacity, TimeProvider time,
        Action<int>? onBatch = null, SemaphoreSlim? gate = null, Func<TIn, long>? cost = null, long maxBatchCost = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBatchCost);
        _runBatch = runBatch;
        _maxBatch = maxBatch;
        _maxWait = maxWait;
        _capacity = capacity;
        _time = time;
        _onBatch = onBatch;
        _gate = gate;
        _cost = maxBatchCost > 0 ? cost : null;
        _maxBatchCost = maxBatchCost;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Requests waiting for a batch now.</summary>
    public int QueueDepth
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Queues <paramref name="input"/> and completes with its output.</summary>
    /// <exception cref="ResourceExhaustedException">The queue is full.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    public Task<TOut> RunAsync(TIn input, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new Pending(input, _cost is null ? 0 : Math.Max(0, _cost(input)), _time.GetUtcNow());
        pending.Registration = cancellationToken.Register(() => Cancel(pending, cancellationToken));
        lock (_lock)
        {
            if (pending.Result.Task.IsCompleted)
            {
                return pending.Result.Task; // cancelled while registering
            }

            if (_stopping.IsCancellationRequested || _queue.Count >= _capacity)
            {
                pending.Registration.Unregister();
                ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
                throw new ResourceExhaustedException(
                    $"The inference queue is full ({_capacity} requests waiting); retry with backoff.");
            }

            pending.Node = _queue.AddLast(pending);
            Signal();
        }

        return pending.Result.Task;
    }

    /// <summary>Stops the loop; requests still waiting are cancelled.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            _stopping.Cancel();
            Signal();
        }

        await _loop.ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var pending in _queue)
            {
                pending.Result.TrySetCanceled();
            }

            _queue.Clear();
        }

        _stopping.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Signal()
    {
        _changed.TrySetResult();
        _changed = NewSignal();
    }

    private void Cancel(Pending pending, CancellationToken token)
    {
        lock (_lock)
        {
            if (pending.Node?.List is not null)
            {
                _queue.Remove(pending.Node);
                Signal();
            }
        }

        pending.Result.TrySetCanceled(token);
    }

    private async Task LoopAsync()
    {
        var holdsGate = false;
        try
        {
            while (true)
            {
                List<Pending>? batch = null;
                var ready = false;
                Task wake;
                TimeSpan wait = Timeout.InfiniteTimeSpan;
                lock (_lock)
                {
                    if (_stopping.IsCancellationRequested)
                    {
                        return;
                    }

                    if (_queue.Count > 0)
                    {
                        var waited = _time.GetUtcNow() - _queue.First!.Value.Enqueued;
                        var (size, full) = NextBatch();
                        if (full || waited >= _maxWait)
                        {
                            ready = true;
                            if (_gate is null || holdsGate)
                            {
                                batch = new List<Pending>(size);
                                while (batch.Count < size && _queue.First is { } first)
                                {
                                    _queue.RemoveFirst();
                                    batch.Add(first.Value);
                                }
                            }
                        }
                        else
                        {
                            wait = _maxWait - waited;
                        }
                    }

                    wake = _changed.Task;
                }

                if (batch is not null)
                {
                    try
                    {
                        Run(batch);
                    }
                    finally
                    {
                        if (holdsGate)
                        {
                            _gate!.Release();
                            holdsGate = false;
                        }
                    }

                    continue;
                }

                if (holdsGate)
                {
                    // Every waiting request was cancelled while this batcher waited for the gate.
                    _gate!.Release();
                    holdsGate = false;
                }

                if (ready)
                {
                    await _gate!.WaitAsync(_stopping.Token).ConfigureAwait(false);
                    holdsGate = true;
                    continue;
                }

                if (wait == Timeout.InfiniteTimeSpan)
                {
                    await wake.ConfigureAwait(false);
                    continue;
                }

                using var delayCancel = new CancellationTokenSource();
                var delay = Task.Delay(wait, _time, delayCancel.Token);
                await Task.WhenAny(wake, delay).ConfigureAwait(false);
                await delayCancel.CancelAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopped while waiting for the gate.
        }
        finally
        {
            if (holdsGate)
            {
                _gate!.Release();
            }
        }
    }

    // How many requests from the head of the queue the next batch takes: up to maxBatch, and with a cost cap, up to the
    // last one that keeps count × largest cost within it; always at least the head. Full: waiting cannot make it bigger
    // (maxBatch reached, the cap cut it before the end of the queue, or no request of any cost would fit beside it).
    // Called under the lock.
    private (int Size, bool Full) NextBatch()
    {
        var limit = Math.Min(_maxBatch, _queue.Count);
        if (_cost is null)
        {
            return (limit, limit >= _maxBatch);
        }

        var size = 0;
        long largest = 0;
        for (var node = _queue.First; node is not null && size < limit; node = node.Next)
        {
            var widest = Math.Max(largest, node.Value.Cost);
            if (size > 0 && (size + 1) * (double)widest > _maxBatchCost)
            {
                return (size, true);
            }

            largest = widest;
            size++;
        }

        return (size, size >= _maxBatch || (size + 1) * (double)largest > _maxBatchCost);
    }

    private void Run(List<Pending> batch)
    {
        // Requests cancelled after leaving the queue still run (they are part of the padded batch); their results are dropped.
        _onBatch?.Invoke(batch.Count);
        try
        {
            var outputs = _runBatch(batch.Select(p => p.Input).ToList());
            if (outputs.Length != batch.Count)
            {
                throw new InvalidOperationException($"The batch function returned {outputs.Length} outputs for {batch.Count} inputs.");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(outputs[i]);
            }
        }
        catch (Exception e)
        {
            foreach (var pending in batch)
            {
                pending.Result.TrySetException(e);
            }
        }
        finally
        {
            foreach (var pending in batch)
            {
                pending.Registration.Unregister();
            }
        }
    }

    private sealed class Pending(TIn input, long cost, DateTimeOffset enqueued)
    {
        public TIn Input { get; } = input;

        public long Cost { get; } = cost;

        public DateTimeOffset Enqueued { get; } = enqueued;

        public TaskCompletionSource<TOut> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Pending>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }
}
