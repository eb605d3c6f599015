using Microsoft.Extensions.Logging;

namespace S3Router.InferenceService.Telemetry;

/// <summary>The inference service's log messages, with stable event ids (3000-3099).</summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Information, "Loading backbone from {Directory}")]
    public static partial void BackboneLoading(ILogger logger, string directory);

    [LoggerMessage(3001, LogLevel.Information, "Backbone {Digest} loaded ({Parameters} parameters, hidden {Hidden}) in {Seconds:F1} s; ready")]
    public static partial void BackboneLoaded(ILogger logger, string digest, long parameters, int hidden, double seconds);

    [LoggerMessage(3002, LogLevel.Critical, "Loading the backbone from {Directory} failed; the pod stays not ready")]
    public static partial void BackboneFailed(ILogger logger, string directory, Exception exception);

    [LoggerMessage(3003, LogLevel.Information, "Preloaded route {Route} ({Tier})")]
    public static partial void Preloaded(ILogger logger, string route, string tier);

    [LoggerMessage(3004, LogLevel.Warning, "Preloading route {Route} ({Tier}) failed; the pod serves without it")]
    public static partial void PreloadFailed(ILogger logger, string route, string tier, Exception exception);

    [LoggerMessage(3005, LogLevel.Information, "Registry event {Type} on {Task}/{Language}: version {Version}")]
    public static partial void RegistryEvent(ILogger logger, string type, string task, string language, long version);

    [LoggerMessage(3006, LogLevel.Warning, "Watching the registry failed; reconnecting in {Delay}")]
    public static partial void WatchFailed(ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(3007, LogLevel.Warning, "Prefetching {Task}/{Language} ({Alias}) failed")]
    public static partial void PrefetchFailed(ILogger logger, string task, string language, string alias, Exception exception);

    [LoggerMessage(3008, LogLevel.Warning, "Preload entry \"{Entry}\" is not task/language[@ref]; ignored")]
    public static partial void BadPreloadEntry(ILogger logger, string entry);
}
