using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using S3Router.Core.Errors;
using S3Router.InferenceService.Inference.Batching;

namespace S3Router.InferenceService.Tests.Inference.Batching;

public sealed class MicroBatcherTests
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(5);
    private readonly FakeTimeProvider _time = new();
    private readonly ConcurrentQueue<int[]> _batches = new();

    private int[] Double(IReadOnlyList<int> batch)
    {
        _batches.Enqueue([.. batch]);
        return batch.Select(x => x * 2).ToArray();
    }

    [Fact]
    public async Task RunAsync_MaxBatchWaiting_RunsFullBatchesWithoutWaiting()
    {
        // Arrange: the fake clock never moves, so only full batches can run.
        await using var batcher = new MicroBatcher<int, int>(Double, maxBatch: 2, MaxWait, capacity: 10, _time);

        // Act
        var results = await Task.WhenAll(Enumerable.Range(1, 4).Select(i => batcher.RunAsync(i, TestContext.Current.CancellationToken)));

        // Assert
        Assert.Equal([2, 4, 6, 8], results);
        Assert.All(_batches, b => Assert.Equal(2, b.Length));
        Assert.Equal(2, _batches.Count);
    }

    [Fact]
    public async Task RunAsync_FewerThanMaxBatch_FlushedWhenMaxWaitPasses()
    {
        // Arrange
        await using var batcher = new MicroBatcher<int, int>(Double, maxBatch: 8, MaxWait, capacity: 10, _time);
        var first = batcher.RunAsync(1, TestContext.Current.CancellationToken);
        var second = batcher.RunAsync(2, TestContext.Current.CancellationToken);

        // Act
        Assert.False(first.IsCompleted);
        await AdvanceUntilDoneAsync(second);
        var results = await Task.WhenAll(first, second);

        // Assert
        Assert.Equal([2, 4], results);
        Assert.Equal([1, 2], Assert.Single(_batches));
    }

    [Fact]
    public async Task RunAsync_QueueFull_ResourceExhaustedAndCancelledRequestFreesItsSlot()
    {
        // Arrange: the first batch blocks, so later requests wait in the queue (capacity 2).
        using var gate = new ManualResetEventSlim();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var batcher = new MicroBatcher<int, int>(batch =>
        {
            running.TrySetResult();
            gate.Wait(TestContext.Current.CancellationToken);
            return batch.ToArray();
        }, maxBatch: 1, MaxWait, capacity: 2, _time);
        var token = TestContext.Current.CancellationToken;
        var blocked = batcher.RunAsync(1, token);
        await running.Task;
        using var cancel = new CancellationTokenSource();
        var waiting = batcher.RunAsync(2, token);
        var cancelled = batcher.RunAsync(3, cancel.Token);

        // Act
        var full = Assert.Throws<ResourceExhaustedException>(() => { _ = batcher.RunAsync(4, token); });
        await cancel.CancelAsync();
        var afterCancel = batcher.RunAsync(5, token);
        gate.Set();

        // Assert
        Assert.Contains("full", full.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var results = await Task.WhenAll(blocked, waiting, afterCancel);
        Assert.Equal([1, 2, 5], results);
        Assert.DoesNotContain(_batches, b => b.Contains(3));
    }

    [Fact]
    public async Task RunAsync_CancelledWhileQueued_CompletesCancelledAndNeverRuns()
    {
        // Arrange
        await using var batcher = new MicroBatcher<int, int>(Double, maxBatch: 4, MaxWait, capacity: 4, _time);
        using var cancel = new CancellationTokenSource();
        var task = batcher.RunAsync(7, cancel.Token);

        // Act
        await cancel.CancelAsync();
        var depthAfterCancel = batcher.QueueDepth;
        var next = batcher.RunAsync(1, TestContext.Current.CancellationToken);
        var result = await AdvanceUntilDoneAsync(next);

        // Assert
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(0, depthAfterCancel);
        Assert.Equal(2, result);
        Assert.Equal([1], Assert.Single(_batches));
    }

    [Fact]
    public async Task RunAsync_SharedGateHeldElsewhere_WaitsThenRunsEverythingThatArrivedAsOneBatch()
    {
        // Arrange: the only gate slot is taken (another batcher running), so ready batches wait for it.
        using var gate = new SemaphoreSlim(1, 1);
        await gate.WaitAsync(TestContext.Current.CancellationToken);
        await using var batcher = new MicroBatcher<int, int>(Double, maxBatch: 8, MaxWait, capacity: 10, _time, gate: gate);
        var token = TestContext.Current.CancellationToken;
        var first = batcher.RunAsync(1, token);
        _time.Advance(MaxWait); // the first request is due, but the gate is closed
        var later = Enumerable.Range(2, 3).Select(i => batcher.RunAsync(i, token)).ToList();

        // Act
        Assert.False(first.IsCompleted);
        gate.Release();
        var results = await Task.WhenAll([first, .. later]);

        // Assert: one batch of all four, and the slot is free again.
        Assert.Equal([2, 4, 6, 8], results);
        Assert.Equal([1, 2, 3, 4], Assert.Single(_batches));
        Assert.True(await gate.WaitAsync(TimeSpan.FromSeconds(10), token));
    }

    [Fact]
    public async Task RunAsync_TwoBatchersOneGateSlot_RunsNeverOverlap()
    {
        // Arrange
        using var gate = new SemaphoreSlim(1, 1);
        var running = 0;
        var overlaps = 0;
        int[] Slow(IReadOnlyList<int> batch)
        {
            if (Interlocked.Increment(ref running) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            Thread.Sleep(5);
            Interlocked.Decrement(ref running);
            return [.. batch];
        }

        await using var a = new MicroBatcher<int, int>(Slow, maxBatch: 1, MaxWait, capacity: 100, _time, gate: gate);
        await using var b = new MicroBatcher<int, int>(Slow, maxBatch: 1, MaxWait, capacity: 100, _time, gate: gate);
        var token = TestContext.Current.CancellationToken;

        // Act
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).RunAsync(i, token)));

        // Assert
        Assert.Equal(Enumerable.Range(0, 40), results);
        Assert.Equal(0, overlaps);
    }

    // Cost cap tests: each request's cost is its value, the cap 60 (e.g. seconds of audio).
    private const long Cap = 60;

    [Fact]
    public async Task RunAsync_LongRequestAheadOfShortOnes_LongRunsAloneShortOnesBatchTogether()
    {
        // Arrange: the only gate slot is taken, so everything queues before the first batch forms.
        using var gate = new SemaphoreSlim(1, 1);
        var token = TestContext.Current.CancellationToken;
        await gate.WaitAsync(token);
        await using var batcher = Capped(maxBatch: 8, gate);
        var tasks = new[] { 60, 1, 2, 1 }.Select(cost => batcher.RunAsync(cost, token)).ToList();
        _time.Advance(MaxWait);

        // Act
        gate.Release();
        var results = await Task.WhenAll(tasks);

        // Assert: 4 × 60 would be the padded batch without the cap; the long one goes first (it was first).
        Assert.Equal([120, 2, 4, 2], results);
        Assert.Equal([[60], [1, 2, 1]], _batches.ToArray());
    }

    [Fact]
    public async Task RunAsync_ShortRequestsWithinTheCap_BatchedByCountWithoutWaiting()
    {
        // Arrange: the clock never moves, so only full batches run. 8 × 7 = 56 fits the cap.
        await using var batcher = Capped(maxBatch: 8);
        var token = TestContext.Current.CancellationToken;

        // Act
        var results = await Task.WhenAll(Enumerable.Repeat(7, 8).Select(cost => batcher.RunAsync(cost, token)));

        // Assert
        Assert.All(results, r => Assert.Equal(14, r));
        Assert.Equal(8, Assert.Single(_batches).Length);
    }

    [Fact]
    public async Task RunAsync_CapCutsTheBatch_RunsTheCutBatchWithoutWaitingThenTheRestAfterMaxWait()
    {
        // Arrange: 8 × 8 = 64 is over the cap, 7 × 8 = 56 is not; the clock does not move yet.
        await using var batcher = Capped(maxBatch: 8);
        var token = TestContext.Current.CancellationToken;
        var tasks = Enumerable.Repeat(8, 8).Select(cost => batcher.RunAsync(cost, token)).ToList();

        // Act: the first 7 run as a full batch; the last one waits for more until MaxWait.
        var firstSeven = await Task.WhenAll(tasks.Take(7));
        var lastBeforeWait = tasks[7].IsCompleted;
        var last = await AdvanceUntilDoneAsync(tasks[7]);

        // Assert
        Assert.All(firstSeven, r => Assert.Equal(16, r));
        Assert.False(lastBeforeWait);
        Assert.Equal(16, last);
        Assert.Equal([7, 1], _batches.Select(b => b.Length));
    }

    [Fact]
    public async Task RunAsync_RequestOverTheCap_RunsAloneAtOnce()
    {
        // Arrange: the clock never moves; a request over the cap can have no company, so its batch is full at once.
        await using var batcher = Capped(maxBatch: 8);
        var token = TestContext.Current.CancellationToken;

        // Act
        var first = await batcher.RunAsync(100, token);
        var second = await batcher.RunAsync(61, token);

        // Assert
        Assert.Equal([200, 122], new[] { first, second });
        Assert.Equal([[100], [61]], _batches.ToArray());
    }

    [Fact]
    public async Task RunAsync_MixedCostsQueued_BatchesInArrivalOrderWithinTheCap()
    {
        // Arrange: everything queues behind a taken gate slot.
        using var gate = new SemaphoreSlim(1, 1);
        var token = TestContext.Current.CancellationToken;
        await gate.WaitAsync(token);
        await using var batcher = Capped(maxBatch: 3, gate);
        int[] costs = [1, 1, 60, 1, 30, 30, 1, 1, 100, 5, 5, 5, 5];
        var tasks = costs.Select(cost => batcher.RunAsync(cost, token)).ToList();
        _time.Advance(MaxWait);

        // Act
        gate.Release();
        var results = await Task.WhenAll(tasks);

        // Assert: never reordered (the batches concatenate to the arrival order), each batch within the cap or a single
        // request, at most maxBatch, and each cut only where the next request would not fit.
        Assert.Equal(costs.Select(c => c * 2), results);
        var batches = _batches.ToArray();
        Assert.Equal(costs, batches.SelectMany(b => b));
        Assert.Equal([[1, 1], [60], [1, 30], [30, 1], [1], [100], [5, 5, 5], [5]], batches);
        Assert.All(batches, b => Assert.True(b.Length == 1 || (b.Length * b.Max() <= Cap && b.Length <= 3)));
    }

    [Fact]
    public async Task RunAsync_ShortRequestsKeepArrivingBehindALongOne_LongOneRunsFirst()
    {
        // Arrange: a long request, then more short ones than a batch holds, all queued behind a taken gate slot.
        using var gate = new SemaphoreSlim(1, 1);
        var token = TestContext.Current.CancellationToken;
        await gate.WaitAsync(token);
        await using var batcher = Capped(maxBatch: 4, gate);
        var longOne = batcher.RunAsync(50, token);
        var shortOnes = Enumerable.Range(0, 12).Select(_ => batcher.RunAsync(1, token)).ToList();
        _time.Advance(MaxWait);

        // Act
        gate.Release();
        await Task.WhenAll([longOne, .. shortOnes]);

        // Assert: the head is never skipped for requests that would batch better.
        Assert.Equal([50], _batches.First());
        Assert.Equal([1, 4, 4, 4], _batches.Select(b => b.Length));
    }

    [Fact]
    public async Task RunAsync_CapZero_BatchesByCountOnly()
    {
        // Arrange: a cost function but no cap (0).
        await using var batcher = new MicroBatcher<int, int>(Double, maxBatch: 4, MaxWait, capacity: 10, _time, cost: x => x, maxBatchCost: 0);
        var token = TestContext.Current.CancellationToken;

        // Act
        var results = await Task.WhenAll(new[] { 60, 60, 1, 60 }.Select(cost => batcher.RunAsync(cost, token)));

        // Assert
        Assert.Equal([120, 120, 2, 120], results);
        Assert.Equal([60, 60, 1, 60], Assert.Single(_batches));
    }

    [Fact]
    public void Constructor_NegativeCap_Throws()
    {
        // Act
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MicroBatcher<int, int>(Double, 4, MaxWait, 10, _time, cost: x => x, maxBatchCost: -1));

        // Assert
        Assert.Equal("maxBatchCost", error.ParamName);
    }

    // The batcher reads the clock, then starts its fake-clock delay: one advance between the two would be lost, so advance
    // until the request completes.
    private async Task<int> AdvanceUntilDoneAsync(Task<int> request)
    {
        while (!request.IsCompleted)
        {
            _time.Advance(MaxWait);
            await Task.WhenAny(request, Task.Delay(10, TestContext.Current.CancellationToken));
        }

        return await request;
    }

    private MicroBatcher<int, int> Capped(int maxBatch, SemaphoreSlim? gate = null) =>
        new(Double, maxBatch, MaxWait, capacity: 100, _time, gate: gate, cost: x => x, maxBatchCost: Cap);
}
