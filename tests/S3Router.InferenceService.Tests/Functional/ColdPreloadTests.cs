using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using S3Router.Api.V1;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Telemetry;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Functional;

/// <summary>
/// Routes loaded into the cold tier only (<c>Inference:PreloadCold</c>, <c>Inference:PrefetchColdAliases</c>), each test
/// on its own inference pod against the platform's registry; the platform's own pod is the normally loaded reference.
/// </summary>
public sealed class ColdPreloadTests(ServingPlatform platform) : IClassFixture<ServingPlatform>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PreloadCold_TwoRoutes_HeldColdWithNoSessionBuilt()
    {
        // Arrange
        var settings = Settings("asr/en", "speaker/und");
        var okBefore = BackgroundLoads(platform.InferenceServices, "ok");

        // Act
        var (pod, routes) = await StartAsync(settings);

        // Assert: both bundles fetched into the cold tier; the hot tier holds only the unmasked session built at start-up.
        Assert.True(routes.IsCold(platform.Published["asr/en v1"].Digest));
        Assert.True(routes.IsCold(platform.Published["speaker/und v1"].Digest));
        var state = routes.CacheState;
        Assert.Equal(2, state.ColdCount);
        Assert.Equal(2, state.ColdBuilds);
        Assert.Equal(1, state.HotCount);
        Assert.Equal(1, state.HotBuilds);
        Assert.Equal(platform.Published["asr/en v1"].SizeBytes + platform.Published["speaker/und v1"].SizeBytes, state.ColdBytes);
        Assert.Equal(2, BackgroundLoads(pod.Services, "ok") - okBefore);
    }

    [Fact]
    public async Task Recognize_ColdPreloadedRoute_BuildsOnlyItsSessionAndAnswersAsANormallyLoadedRoute()
    {
        // Arrange
        var (pod, routes) = await StartAsync(Settings("asr/en"));
        var before = routes.CacheState;
        var request = Request("asr", "en");

        // Act
        var cold = await pod.Speech.RecognizeAsync(request, cancellationToken: Token);
        var normal = await platform.Speech.RecognizeAsync(request, cancellationToken: Token);

        // Assert: the same result as the pod that fetched and built on request; here one session built, nothing fetched.
        Assert.Equal(normal.Results, cold.Results);
        Assert.Equal(1, Assert.Single(cold.Results).Route.Version);
        var after = routes.CacheState;
        Assert.Equal(before.HotBuilds + 1, after.HotBuilds);
        Assert.Equal(2, after.HotCount);
        Assert.Equal(before.ColdBuilds, after.ColdBuilds);
        Assert.True(routes.IsCold(platform.Published["asr/en v1"].Digest));
    }

    [Fact]
    public async Task PreloadCold_MoreThanTheColdBudget_LeastRecentlyLoadedEvictedAndFetchedAgainOnRequest()
    {
        // Arrange: a cold budget for the last two of three routes.
        var fr = platform.Published["asr/fr v1"];
        var speaker = platform.Published["speaker/und v1"];
        var settings = Settings("asr/en", "asr/fr", "speaker/und");
        settings["Inference:ColdCacheBudgetBytes"] = $"{fr.SizeBytes + speaker.SizeBytes}";

        // Act
        var (pod, routes) = await StartAsync(settings);
        var preloaded = routes.CacheState;
        var enEvicted = !routes.IsCold(platform.Published["asr/en v1"].Digest);
        var response = await pod.Speech.RecognizeAsync(Request("asr", "en"), cancellationToken: Token);

        // Assert: asr/en went to stay within the budget; a request fetches it again and evicts the least recent, asr/fr.
        Assert.True(enEvicted);
        Assert.Equal(1, preloaded.ColdEvictions);
        Assert.Equal(2, preloaded.ColdCount);
        Assert.Equal(fr.SizeBytes + speaker.SizeBytes, preloaded.ColdBytes);
        Assert.Equal(1, Assert.Single(response.Results).Route.Version);
        var after = routes.CacheState;
        Assert.Equal(4, after.ColdBuilds);
        Assert.Equal(2, after.ColdEvictions);
        Assert.True(routes.IsCold(platform.Published["asr/en v1"].Digest));
        Assert.False(routes.IsCold(fr.Digest));
        Assert.True(routes.IsCold(speaker.Digest));
    }

    [Fact]
    public async Task PreloadCold_UnknownRouteAndBundleOfAnotherBackbone_CountedAndThePodServesTheOthers()
    {
        // Arrange: asr/de's bundle is for another backbone; intent/en does not exist; one entry is not a route.
        var settings = Settings("intent/en", "asr/de", "not-a-route", "asr/fr");
        var notFound = BackgroundLoads(platform.InferenceServices, "not_found");
        var incompatible = BackgroundLoads(platform.InferenceServices, "failed_precondition");

        // Act
        var (pod, routes) = await StartAsync(settings);
        var health = await new Health.HealthClient(pod.Channel).CheckAsync(new HealthCheckRequest { Service = "ready" }, cancellationToken: Token);
        var response = await pod.Speech.RecognizeAsync(Request("asr", "fr"), cancellationToken: Token);

        // Assert
        Assert.Equal(1, BackgroundLoads(pod.Services, "not_found") - notFound);
        Assert.Equal(1, BackgroundLoads(pod.Services, "failed_precondition") - incompatible);
        Assert.False(routes.IsCold(platform.Published["asr/de v1"].Digest));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Equal(platform.Published["asr/fr v1"].Digest, Assert.Single(response.Results).Route.Digest);
    }

    [Fact]
    public async Task PrefetchColdAliases_RouteNeverServedPublishedAsProduction_FetchedColdWithNoSession()
    {
        // Arrange
        var (_, routes) = await StartAsync(new() { ["Inference:PrefetchColdAliases:0"] = "production" });
        var before = routes.CacheState;

        // Act: a new route whose publish moves production (an ALIAS_SET event).
        var published = await platform.Registry.PublishAsync(TestBundles.Ctc(platform.Config, platform.BackboneHex, "it", seed: 21), "production", Token);
        await WaitUntilAsync(() => routes.IsCold(published.Digest));

        // Assert
        var after = routes.CacheState;
        Assert.Equal(before.ColdBuilds + 1, after.ColdBuilds);
        Assert.Equal(before.HotBuilds, after.HotBuilds);
    }

    private static Dictionary<string, string?> Settings(params string[] preloadCold) =>
        preloadCold.Select((entry, i) => (Key: $"Inference:PreloadCold:{i}", Value: entry)).ToDictionary(e => e.Key, e => (string?)e.Value);

    private static RecognizeRequest Request(string task, string language)
    {
        var config = ServingPlatform.Linear16Config();
        config.BeamWidth = 4;
        config.MaxAlternatives = 2;
        config.EnableWordTimeOffsets = true;
        return new RecognizeRequest
        {
            Task = task,
            LanguageCode = language,
            Config = config,
            Audio = new RecognitionAudio { Content = ServingPlatform.Linear16(12000, seed: 7) },
        };
    }

    // Counters are per process: callers take differences.
    private static double BackgroundLoads(IServiceProvider services, string status) =>
        services.GetRequiredService<InferenceMetrics>().BackgroundLoads("preload", "cold", status);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private async Task<(InferencePod Pod, RouteManager Routes)> StartAsync(Dictionary<string, string?> settings)
    {
        var pod = await platform.StartPreloadedInferenceAsync(settings, Token);
        return (pod, pod.Services.GetRequiredService<RouteManager>());
    }
}
