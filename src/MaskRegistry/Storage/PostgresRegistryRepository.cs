using System.Data.Common;
using Npgsql;

namespace S3Router.MaskRegistry.Storage;

/// <summary>The production store: PostgreSQL through one pooled <see cref="NpgsqlDataSource"/> (owned by DI).</summary>
internal sealed class PostgresRegistryRepository(NpgsqlDataSource dataSource, ChangeNotifier notifier, TimeProvider time)
    : SqlRegistryRepository(notifier, time)
{
    // Any constant works; it only has to be the same in every replica.
    private const long MigrationLockKey = 0x5333_5265_6769;

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    protected override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken);

    protected override async Task BeforeMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        // Replicas starting together must not run CREATE TABLE concurrently.
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@k)", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.AddWithValue("k", MigrationLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
