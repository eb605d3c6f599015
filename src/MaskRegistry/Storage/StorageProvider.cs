namespace S3Router.MaskRegistry.Storage;

/// <summary>Which database holds the registry's metadata.</summary>
public enum StorageProvider
{
    /// <summary>An embedded SQLite file under the data directory (no configuration needed).</summary>
    Sqlite,

    /// <summary>A PostgreSQL server; several registry replicas can share it.</summary>
    Postgres,
}
