using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Testing.Load;
using S3Router.Testing.Processes;

namespace S3Router.Testing.Resilience;

/// <summary>
/// Registry loss: one inference process serves asr/en under steady load while the registry process is killed; the
/// registry is started again on the same port and data folder, a new asr/en version is published and
/// <c>production</c> moved to it at once. Before the outage one change (speaker/und <c>canary</c>) has reached the
/// inference process, so its watch resumes from that revision and must replay what it missed. The inference process keeps resolved refs for 10 min here, so only its WatchMasks
/// stream can make it serve the new version.
/// </summary>
public static class RegistryLossScenario
{
    /// <summary>What one run saw.</summary>
    /// <param name="Load">The calls and phases.</param>
    /// <param name="Published">The version published after the registry came back.</param>
    /// <param name="ServedVersion">The asr/en version the gateway served once the change arrived (0 when it never did).</param>
    /// <param name="WatchEventsBefore">WatchMasks events the inference process had received before the restart.</param>
    /// <param name="WatchEventsAfter">The same count at the end.</param>
    public sealed record Result(ScenarioResult Load, MaskVersion Published, long ServedVersion, double WatchEventsBefore, double WatchEventsAfter);

    public static async Task<Result> RunAsync(ResilienceScale scale, Action<string> log, CancellationToken cancellationToken)
    {
        await using var platform = await ServicePlatform.StartAsync(new PlatformOptions
        {
            Inference = new Dictionary<string, string> { ["Inference__ResolveCacheTtl"] = "00:10:00" },
        }, cancellationToken);
        await platform.WarmUpAsync(cancellationToken);

        // One change before the outage, so the inference process's watch has a revision to resume from.
        var (firstChannel, firstRegistry) = platform.RegistryClient(apiKey: null);
        using (firstChannel)
        {
            await firstRegistry.SetAliasAsync(
                new SetAliasRequest { Task = "speaker", LanguageCode = "und", Alias = "canary", Version = platform.Published["speaker/und"].Version },
                cancellationToken: cancellationToken);
        }

        await WaitForWatchEventAsync(platform, TimeSpan.FromSeconds(30), cancellationToken);
        var load = GatewayLoad.Start(platform, LoadProfile.FixedRate(scale.Rate / 2, TimeSpan.Zero), scale.AudioSamples, cancellationToken);
        await load.UntilAsync(scale.Before, cancellationToken);
        var faultAt = load.Elapsed;
        platform.Registry.Kill();
        log($"registry killed at {faultAt.TotalSeconds:0.0} s");

        await load.UntilAsync(faultAt + scale.During, cancellationToken);
        var eventsBefore = await WatchEventsAsync(platform, cancellationToken);
        platform.Registry.Start();
        await platform.Registry.WaitReadyAsync(cancellationToken);
        var recoveredAt = load.Elapsed;
        log($"registry ready again at {recoveredAt.TotalSeconds:0.0} s");

        // Published at once: the inference process may not have reconnected yet, and must catch up from its revision.
        var (channel, registry) = platform.RegistryClient(apiKey: null);
        MaskVersion published;
        using (channel)
        {
            published = await registry.PublishAsync(
                TestBundles.Ctc(platform.Backbone.Config, platform.Backbone.Hex, "en", seed: 2), "production", cancellationToken);
        }

        log($"published asr/en v{published.Version} on production");
        var served = await WaitForVersionAsync(platform, published.Version, TimeSpan.FromSeconds(45), cancellationToken);
        log(served == published.Version ? $"v{served} served at {load.Elapsed.TotalSeconds:0.0} s" : $"still v{served} after 45 s");

        await load.UntilAsync(recoveredAt + scale.After, cancellationToken);
        var report = await load.StopAsync();
        var eventsAfter = await WatchEventsAsync(platform, cancellationToken);

        var result = new ScenarioResult(
            "registry loss", $"{scale.Describe(scale.Rate / 2)}, 1 pod", "SIGKILL the registry, restart on its port and data; publish v2", report, faultAt, recoveredAt);
        result.Notes.Add($"after the restart: published v{published.Version}, gateway served v{served}; watch events at inference {eventsBefore} before the restart, {eventsAfter} at the end");
        return new Result(result, published, served, eventsBefore, eventsAfter);
    }

    private static async Task WaitForWatchEventAsync(ServicePlatform platform, TimeSpan limit, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + limit;
        while (await WatchEventsAsync(platform, cancellationToken) < 1)
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"The inference process received no WatchMasks event in {limit.TotalSeconds} s.");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<double> WatchEventsAsync(ServicePlatform platform, CancellationToken cancellationToken) =>
        PrometheusText.Sum(await platform.Inference[0].ScrapeMetricsAsync(cancellationToken), "s3router_inference_registry_events_total");

    // Asks the gateway until asr/en answers with version `wanted` or `limit` passed; returns the last version seen.
    private static async Task<long> WaitForVersionAsync(ServicePlatform platform, long wanted, TimeSpan limit, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + limit;
        long seen = 0;
        while (DateTime.UtcNow < until)
        {
            try
            {
                var response = await platform.Speech.RecognizeAsync(
                    ServicePlatform.AsrRequest(8000, seed: 99), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
                seen = response.Results[0].Route.Version;
                if (seen == wanted)
                {
                    break;
                }
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted)
            {
                // A slow or busy pod (the machine is shared): the next call will tell.
            }

            await Task.Delay(100, cancellationToken);
        }

        return seen;
    }
}
