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
        _time.Advance(MaxWait);
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
        _time.Advance(MaxWait);

        // Assert
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(0, depthAfterCancel);
        Assert.Equal(2, await next);
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
}
