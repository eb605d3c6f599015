using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace S3Router.MaskRegistry.Storage;

/// <summary>The embedded store: one SQLite file in WAL mode; writers take the write lock at BEGIN (IMMEDIATE) and wait up to the busy timeout.</summary>
internal sealed class SqliteRegistryRepository : SqlRegistryRepository
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMs;

    public SqliteRegistryRepository(string databasePath, TimeSpan busyTimeout, ChangeNotifier notifier, TimeProvider time)
        : base(notifier, time)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        _busyTimeoutMs = (int)busyTimeout.TotalMilliseconds;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)busyTimeout.TotalSeconds),
        }.ToString();
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var wal = connection.CreateCommand();
        wal.CommandText = "PRAGMA journal_mode=WAL;";
        wal.ExecuteNonQuery();
    }

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragmas = connection.CreateCommand();
        // synchronous=FULL: a committed version survives power loss, not only a process crash.
        pragmas.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout={_busyTimeoutMs}; PRAGMA synchronous=FULL;");
        await pragmas.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    protected override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // deferred: false = BEGIN IMMEDIATE, so two writers never deadlock upgrading read locks.
        await Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));
}
