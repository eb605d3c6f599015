using Microsoft.Extensions.Logging;

namespace S3Router.MaskRegistry.Telemetry;

/// <summary>The registry's log messages, with stable event ids (2000-2099).</summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Information, "Mask registry storing metadata in {Provider}, blobs under {BlobRoot}")]
    public static partial void Started(ILogger logger, string provider, string blobRoot);

    [LoggerMessage(2001, LogLevel.Information, "Published {Task}/{Language} version {Version} ({Digest}, {Bytes} bytes) by {Creator}")]
    public static partial void Published(ILogger logger, string task, string language, long version, string digest, long bytes, string creator);

    [LoggerMessage(2002, LogLevel.Error, "Blob {Digest} is corrupted or missing: {Problem}; refusing to serve it")]
    public static partial void CorruptBlob(ILogger logger, string digest, string problem);

    [LoggerMessage(2003, LogLevel.Information, "Deleted {Count} orphaned blobs or abandoned uploads")]
    public static partial void OrphansDeleted(ILogger logger, int count);

    [LoggerMessage(2004, LogLevel.Warning, "Orphan collection failed")]
    public static partial void OrphanSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(2005, LogLevel.Information, "Alias {Alias} of {Task}/{Language} moved from {Previous} to {Version} by {Caller}")]
    public static partial void AliasMoved(ILogger logger, string alias, string task, string language, long previous, long version, string caller);

    [LoggerMessage(2006, LogLevel.Information, "{Task}/{Language} version {Version} yanked={Yanked} by {Caller}")]
    public static partial void YankChanged(ILogger logger, string task, string language, long version, bool yanked, string caller);

    [LoggerMessage(2007, LogLevel.Warning, "Rejected API key on {Method}: {Reason}")]
    public static partial void AuthRejected(ILogger logger, string method, string reason);

    [LoggerMessage(2008, LogLevel.Information, "Compared the masks of {Routes} routes ({Bytes} bundle bytes) for {Caller} in {ElapsedMs} ms")]
    public static partial void SimilarityAnalyzed(ILogger logger, int routes, long bytes, string caller, long elapsedMs);
}
