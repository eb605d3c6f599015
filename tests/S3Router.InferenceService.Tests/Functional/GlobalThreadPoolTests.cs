using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using S3Router.Api.V1;
using S3Router.InferenceService.Inference.Routes;

namespace S3Router.InferenceService.Tests.Functional;

/// <summary>
/// Pods with <c>Inference:OnnxGlobalThreadPool</c> against the platform's registry. The test process's ONNX Runtime
/// environment has the pool of <see cref="OnnxEnvironmentFixture"/> (two threads, spinning).
/// </summary>
public sealed class GlobalThreadPoolTests(ServingPlatform platform) : IClassFixture<ServingPlatform>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Recognize_PodOnTheGlobalThreadPool_SameResultsAsAPodWithAPoolPerSessionOnEveryRoute()
    {
        // Arrange: two pods alike but for the option; two threads per run, one run at a time (the fixture's pool).
        var (pooled, pooledRoutes) = await StartAsync(Settings(global: true, threads: OnnxEnvironmentFixture.IntraOpThreads));
        var (own, ownRoutes) = await StartAsync(Settings(global: false, threads: OnnxEnvironmentFixture.IntraOpThreads));
        (string Task, string Language)[] routes = [("asr", "en"), ("asr", "fr"), ("speaker", "und"), ("asr", "en")];

        // Act
        var results = new List<(RecognizeResponse Pooled, RecognizeResponse Own)>();
        foreach (var (task, language) in routes)
        {
            results.Add((await pooled.Speech.RecognizeAsync(Request(task, language), cancellationToken: Token),
                await own.Speech.RecognizeAsync(Request(task, language), cancellationToken: Token)));
        }

        // Assert
        Assert.True(pooledRoutes.UsesGlobalThreadPool);
        Assert.False(ownRoutes.UsesGlobalThreadPool);
        Assert.All(results, r => Assert.Equal(r.Own.Results, r.Pooled.Results));
        Assert.All(results, r => Assert.NotEmpty(r.Pooled.Results));
        Assert.Equal(ownRoutes.CacheState.HotBuilds, pooledRoutes.CacheState.HotBuilds);
    }

    [Fact]
    public async Task Start_GlobalThreadPoolOfAnotherSizeThanTheEnvironments_PodKeepsAPoolPerSessionAndServes()
    {
        // Arrange: one thread per run asks for a pool of one; the environment was made with two.
        var (pod, routes) = await StartAsync(Settings(global: true, threads: 1));

        // Act
        var response = await pod.Speech.RecognizeAsync(Request("asr", "fr"), cancellationToken: Token);
        var reference = await platform.Speech.RecognizeAsync(Request("asr", "fr"), cancellationToken: Token);

        // Assert: not applied (a warning is logged), and the pod works as one without the option.
        Assert.False(routes.UsesGlobalThreadPool);
        Assert.Equal(reference.Results, response.Results);
    }

    private static Dictionary<string, string?> Settings(bool global, int threads) => new()
    {
        ["Inference:OnnxGlobalThreadPool"] = global ? "true" : "false",
        ["Inference:IntraOpThreads"] = $"{threads}",
        ["Inference:MaxConcurrentRuns"] = "1",
    };

    private static RecognizeRequest Request(string task, string language) => new()
    {
        Task = task,
        LanguageCode = language,
        Config = ServingPlatform.Linear16Config(),
        Audio = new RecognitionAudio { Content = ServingPlatform.Linear16(12000, seed: 8) },
    };

    private async Task<(InferencePod Pod, RouteManager Routes)> StartAsync(Dictionary<string, string?> settings)
    {
        var pod = await platform.StartInferenceAsync(settings, Token);
        await pod.Services.GetServices<IHostedService>().OfType<BackboneLoader>().Single().Preloaded.WaitAsync(Token);
        return (pod, pod.Services.GetRequiredService<RouteManager>());
    }
}
