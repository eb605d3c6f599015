using S3Router.InferenceService.Inference.Batching;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;
using S3Router.InferenceService.Tests.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Inference.Routes;

/// <summary>Load/evict cycles of real encoder sessions through the hot tier, as <see cref="RouteManager"/> composes them.</summary>
[Collection(NativeMemoryCollection.Name)]
public sealed class RouteChurnTests
{
    private const int Routes = 5;
    private const int HotRoutes = 2;
    private const int Cycles = 3;
    private const long SessionBytes = 100;

    [Fact]
    public async Task AcquireAsync_RoutesChurnThroughTheHotTier_LiveSessionsStayAtTheBudgetedCount()
    {
        // Arrange: 5 routes with their own masks, a hot tier budgeted for 2 sessions.
        var config = TinyConfigs.ByStyle(false);
        var weights = TestWeights.For(config, seed: 41);
        var masks = Enumerable.Range(0, Routes).Select(r => TestWeights.RandomFfnMask(weights, config.NumHiddenLayers, seed: 50 + r)).ToList();
        var frames = new float[6, config.HiddenSize];
        var before = OnnxSessions.LiveSessions;
        var afterCycle = new List<long>();
        var trims = 0;
        using var gate = new SemaphoreSlim(1, 1);

        // Act: every route used once per cycle, so every use past the budget evicts (and disposes) one session.
        using (var hot = new BudgetedLruCache<string, RouteEngine>(HotRoutes * SessionBytes, "hot", afterEviction: () => Interlocked.Increment(ref trims)))
        {
            for (var cycle = 0; cycle < Cycles; cycle++)
            {
                for (var r = 0; r < Routes; r++)
                {
                    var key = $"mask{r}";
                    var mask = masks[r];
                    using var lease = await hot.AcquireAsync(key, () =>
                    {
                        var encoder = OnnxEncoderSession.Create(config, weights, mask);
                        var batcher = new MicroBatcher<float[,], float[,]>(
                            batch => encoder.Run([.. batch]), 4, TimeSpan.Zero, 8, TimeProvider.System, gate: gate);
                        return Task.FromResult((RouteEngine.Encoder(encoder, batcher, key), SessionBytes));
                    }, TestContext.Current.CancellationToken);
                    await lease.Value.RunEncoderAsync(frames, TestContext.Current.CancellationToken);
                }

                afterCycle.Add(OnnxSessions.LiveSessions - before);
            }
        }

        var afterDispose = OnnxSessions.LiveSessions - before;

        // Assert: built 15 sessions, disposed all but the 2 the budget holds, and those with the cache.
        Assert.All(afterCycle, live => Assert.Equal(HotRoutes, live));
        Assert.Equal(0, afterDispose);
        Assert.Equal((Routes * Cycles) - HotRoutes + 1, trims); // one per eviction, one for the cache's own disposal
    }
}
