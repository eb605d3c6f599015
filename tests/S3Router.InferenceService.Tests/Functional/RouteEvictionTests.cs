using Microsoft.Extensions.DependencyInjection;
using S3Router.Api.V1;
using S3Router.InferenceService.Inference.Routes;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Functional;

/// <summary>
/// Routes served, evicted from the hot tier to the cold tier, and served again, on a pod whose hot budget holds no route
/// session beyond the pinned unmasked one (every route's session goes when its request ends).
/// </summary>
public sealed class RouteEvictionTests(ServingPlatform platform) : IClassFixture<ServingPlatform>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Recognize_ServedEvictedServedAgain_SameAnswerFromARebuiltSession()
    {
        // Arrange
        var (pod, routes) = await StartAsync(settleDelay: "00:00:00");
        var before = routes.CacheState;

        // Act
        var first = await pod.Speech.RecognizeAsync(Request("asr", "en"), cancellationToken: Token);
        var evictedByOther = await pod.Speech.RecognizeAsync(Request("asr", "fr"), cancellationToken: Token);
        var again = await pod.Speech.RecognizeAsync(Request("asr", "en"), cancellationToken: Token);

        // Assert: three sessions built and evicted (only the unmasked one stays hot); both bundles stay cold, fetched once.
        Assert.Equal(first.Results, again.Results);
        Assert.NotEmpty(evictedByOther.Results);
        var after = routes.CacheState;
        Assert.Equal(before.HotBuilds + 3, after.HotBuilds);
        Assert.Equal(before.HotEvictions + 3, after.HotEvictions);
        Assert.Equal(1, after.HotCount);
        Assert.Equal(before.ColdBuilds + 2, after.ColdBuilds);
        Assert.True(routes.IsCold(platform.Published["asr/en v1"].Digest));
    }

    [Fact]
    public async Task Recognize_SettlingOff_BuildBuffersStayPooled()
    {
        // Arrange
        var (pod, routes) = await StartAsync(settleDelay: "00:00:00");

        // Act
        await pod.Speech.RecognizeAsync(Request("asr", "en"), cancellationToken: Token);

        // Assert: the reference for the test below: a route build leaves its buffers in the pools.
        Assert.True(routes.PooledBuildBytes > 0);
    }

    [Fact]
    public async Task Recognize_ThenQuiet_MemorySettleDropsTheBuildBuffersAndTheRouteServesAgain()
    {
        // Arrange
        var (pod, routes) = await StartAsync(settleDelay: "00:00:00.050");
        var first = await pod.Speech.RecognizeAsync(Request("asr", "en"), cancellationToken: Token);

        // Act
        await WaitUntilAsync(() => routes.PooledBuildBytes == 0);
        var again = await pod.Speech.RecognizeAsync(Request("asr", "en"), cancellationToken: Token);

        // Assert: after the settle nothing is pooled; the next build allocates its buffers anew and answers the same.
        Assert.Equal(first.Results, again.Results);
        Assert.Equal(1, routes.CacheState.HotCount);
    }

    private static RecognizeRequest Request(string task, string language) => new()
    {
        Task = task,
        LanguageCode = language,
        Config = ServingPlatform.Linear16Config(),
        Audio = new RecognitionAudio { Content = ServingPlatform.Linear16(12000, seed: 9) },
    };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private async Task<(InferencePod Pod, RouteManager Routes)> StartAsync(string settleDelay)
    {
        var pod = await platform.StartPreloadedInferenceAsync(
            new Dictionary<string, string?>
            {
                ["Inference:MaskCacheBudgetBytes"] = "1", // below the pinned unmasked session: no route session stays
                ["Inference:MemorySettleDelay"] = settleDelay,
                ["Inference:MemorySettleMinInterval"] = "00:00:00",
            },
            Token);
        return (pod, pod.Services.GetRequiredService<RouteManager>());
    }
}
