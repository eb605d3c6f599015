namespace S3Router.Gateway.Telemetry;

/// <summary>The gateway's log messages, with stable event ids (4000-4099).</summary>
internal static partial class Log
{
    [LoggerMessage(4000, LogLevel.Information, "Gateway routing to {Source}")]
    public static partial void Started(ILogger logger, string source);

    [LoggerMessage(4001, LogLevel.Information, "Inference endpoints changed: {Count} known, added [{Added}], removed [{Removed}]")]
    public static partial void EndpointsChanged(ILogger logger, int count, string added, string removed);

    [LoggerMessage(4002, LogLevel.Warning, "Resolving {DnsName} failed; keeping the {Count} known endpoints")]
    public static partial void DnsFailed(ILogger logger, string dnsName, int count, Exception exception);

    [LoggerMessage(4003, LogLevel.Warning, "Circuit of {Endpoint} opened for {BreakDuration}")]
    public static partial void CircuitOpened(ILogger logger, string endpoint, TimeSpan breakDuration);

    [LoggerMessage(4004, LogLevel.Information, "Circuit of {Endpoint} closed")]
    public static partial void CircuitClosed(ILogger logger, string endpoint);

    [LoggerMessage(4005, LogLevel.Information, "Retrying {Method} (attempt {Attempt}) after {Endpoint} failed: {Reason}")]
    public static partial void Retrying(ILogger logger, string method, int attempt, string endpoint, string reason);

    [LoggerMessage(4006, LogLevel.Warning, "Rejected call to {Method}: {Reason}")]
    public static partial void AuthRejected(ILogger logger, string method, string reason);
}
