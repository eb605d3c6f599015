using System.Diagnostics;
using Microsoft.Extensions.Options;
using S3Router.Core.Masks;
using S3Router.InferenceService.Onnx;
using S3Router.InferenceService.Telemetry;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// Start-up in the background (the gRPC endpoint answers meanwhile, not ready): load the backbone, compute its
/// digest, build the unmasked session, mark ready, then preload the configured routes: hot ones
/// (<see cref="InferenceOptions.Preload"/>), then cold ones (<see cref="InferenceOptions.PreloadCold"/>).
/// </summary>
internal sealed class BackboneLoader(
    BackboneHost host, RouteManager routes, IOptions<InferenceOptions> options, ILogger<BackboneLoader> logger) : BackgroundService
{
    private readonly TaskCompletionSource _preloaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once both preload lists were worked through (each entry loaded or its failure logged), or the backbone failed.</summary>
    public Task Preloaded => _preloaded.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await LoadAsync(stoppingToken);
        }
        finally
        {
            _preloaded.TrySetResult();
        }
    }

    private async Task LoadAsync(CancellationToken stoppingToken)
    {
        var directory = options.Value.BackboneDirectory;
        try
        {
            var started = Stopwatch.GetTimestamp();
            Log.BackboneLoading(logger, directory);
            var (config, raw) = await BackboneCheckpoint.LoadAsync(directory, stoppingToken);
            var weights = Wav2Vec2Weights.Normalize(raw);
            Wav2Vec2Weights.Validate(config, weights);
            var digest = await Sha256Digest.OfFileAsync(Path.Combine(directory, BackboneCheckpoint.WeightsFileName), stoppingToken);
            var backbone = new LoadedBackbone(config, weights, digest);
            host.SetLoaded(backbone);
            await routes.WarmBaseAsync(stoppingToken);
            Log.BackboneLoaded(logger, digest, weights.Values.Sum(w => (long)w.Data.Length), config.HiddenSize,
                Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.BackboneFailed(logger, directory, e);
            return;
        }

        await PreloadAsync(options.Value.Preload, "hot", routes.PreloadAsync, stoppingToken);
        await PreloadAsync(options.Value.PreloadCold, "cold", routes.PreloadColdAsync, stoppingToken);
    }

    private async Task PreloadAsync(
        List<string> entries, string tier, Func<string, string, string, CancellationToken, Task> preload, CancellationToken stoppingToken)
    {
        foreach (var entry in entries)
        {
            if (!TryParse(entry, out var task, out var language, out var reference))
            {
                Log.BadPreloadEntry(logger, entry);
                continue;
            }

            try
            {
                await preload(task, language, reference, stoppingToken);
                Log.Preloaded(logger, entry, tier);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.PreloadFailed(logger, entry, tier, e);
            }
        }
    }

    /// <summary>Parses <c>task/language</c> or <c>task/language@ref</c>.</summary>
    internal static bool TryParse(string entry, out string task, out string language, out string reference)
    {
        var at = entry.IndexOf('@', StringComparison.Ordinal);
        var route = at < 0 ? entry : entry[..at];
        reference = at < 0 ? "" : entry[(at + 1)..];
        var slash = route.IndexOf('/', StringComparison.Ordinal);
        task = slash < 0 ? "" : route[..slash].Trim();
        language = slash < 0 ? "" : route[(slash + 1)..].Trim();
        return task.Length > 0 && language.Length > 0;
    }
}
