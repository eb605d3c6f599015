using Grpc.Core;
using S3Router.Api.V1;
using S3Router.InferenceService.Telemetry;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// Follows the registry's WatchMasks stream: every event clears the route's cached refs (so the next request
/// resolves afresh) and an alias move prefetches the new version in the background: hot on a route this pod serves,
/// cold on a cold-preloaded route or for an alias of <see cref="InferenceOptions.PrefetchColdAliases"/>.
/// Reconnects with its last revision, so no event is missed; after a gap, and once each new stream is established,
/// everything cached is cleared (changes from before the first event carry no revision to replay from).
/// </summary>
internal sealed class RegistryWatcher(
    MaskRegistrySource registry, RouteResolver resolver, RouteManager routes, InferenceMetrics metrics,
    TimeProvider time, ILogger<RegistryWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? revision = null;
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var call = registry.Watch(revision, stoppingToken);
                // The registry sends headers once the watch is established. Before the first event there is no
                // revision to resume from, so changes made since the refs were cached (at start-up, or while the
                // registry was away) would never arrive as events: resolve everything afresh from here on.
                await call.ResponseHeadersAsync;
                resolver.InvalidateAll();
                await foreach (var message in call.ResponseStream.ReadAllAsync(stoppingToken))
                {
                    backoff = TimeSpan.FromMilliseconds(200);
                    revision = message.Event.Revision;
                    Handle(message.Event, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e) when (stoppingToken.IsCancellationRequested && e.StatusCode == StatusCode.Cancelled)
            {
                return;
            }
            catch (Exception e)
            {
                Log.WatchFailed(logger, backoff, e);
            }

            resolver.InvalidateAll();
            try
            {
                await Task.Delay(backoff, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private void Handle(MaskEvent e, CancellationToken stoppingToken)
    {
        metrics.RegistryEvent(e.Type.ToString());
        Log.RegistryEvent(logger, e.Type.ToString(), e.Task, e.LanguageCode, e.Version);
        resolver.Invalidate(e.Task, e.LanguageCode);
        if (e.Type == MaskEventType.AliasSet)
        {
            _ = PrefetchAsync(e.Task, e.LanguageCode, e.Alias, stoppingToken);
        }
    }

    private async Task PrefetchAsync(string task, string language, string alias, CancellationToken stoppingToken)
    {
        try
        {
            await routes.PrefetchAsync(task, language, alias, stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            Log.PrefetchFailed(logger, task, language, alias, e);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
