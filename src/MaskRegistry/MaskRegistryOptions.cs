using System.ComponentModel.DataAnnotations;
using S3Router.MaskRegistry.Storage;

namespace S3Router.MaskRegistry;

/// <summary>Where the registry keeps its data and how it behaves. Bound from the <c>MaskRegistry</c> section (env: <c>MaskRegistry__Provider</c>).</summary>
public sealed class MaskRegistryOptions
{
    public const string SectionName = "MaskRegistry";

    /// <summary>Metadata database: <c>Sqlite</c> (embedded, a file under <see cref="DataDirectory"/>) or <c>Postgres</c> (needs <see cref="ConnectionString"/>). Default: Sqlite.</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>Folder holding the SQLite file and the blob store. Default: <c>$S3R_DATA/registry</c> when S3R_DATA is set, else <c>./.s3router/registry</c>.</summary>
    [Required]
    public string DataDirectory { get; set; } = DefaultDataDirectory();

    /// <summary>PostgreSQL connection string (Npgsql syntax); required when <see cref="Provider"/> is Postgres. Default: none.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Largest bundle accepted by PublishMask, in bytes. Default: 1 GiB. Range: 1 KiB to 64 GiB.</summary>
    [Range(1024L, 64L * 1024 * 1024 * 1024)]
    public long MaxBundleBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Blobs and temporary uploads younger than this are never collected as orphans. Default: 1 h.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often orphaned blobs are collected (also once at start-up). Default: 1 h.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan OrphanSweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How often a watcher looks for new events in the database even without an in-process notification, so that
    /// several registry replicas sharing one PostgreSQL see each other's changes. Default: 1 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan WatchPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>SQLite busy timeout: how long a writer waits for the database lock. Default: 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Size of the chunks DownloadMask sends, in bytes. Default: 1 MiB. Range: 4 KiB to 4 MiB.</summary>
    [Range(4096, 4 * 1024 * 1024)]
    public int DownloadChunkBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Most bundle bytes one AnalyzeMaskSimilarity call may load into memory (the routes' bundles together); larger
    /// requests get RESOURCE_EXHAUSTED. Default: 1 GiB. Range: 1 KiB to 64 GiB.
    /// </summary>
    [Range(1024L, 64L * 1024 * 1024 * 1024)]
    public long MaxAnalysisBytes { get; set; } = 1024L * 1024 * 1024;

    private static string DefaultDataDirectory()
    {
        var root = Environment.GetEnvironmentVariable("S3R_DATA");
        return string.IsNullOrWhiteSpace(root) ? Path.Combine(".s3router", "registry") : Path.Combine(root, "registry");
    }
}
