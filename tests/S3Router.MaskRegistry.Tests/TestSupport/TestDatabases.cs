using Microsoft.Data.Sqlite;
using Npgsql;
using S3Router.MaskRegistry.Storage;

namespace S3Router.MaskRegistry.Tests.TestSupport;

/// <summary>
/// Throwaway databases: a SQLite file in a temp folder, or a fresh schema on the PostgreSQL server named by
/// S3R_TEST_POSTGRES (scripts/postgres.sh start). Without that variable PostgreSQL tests skip, or fail under CI.
/// </summary>
internal static class TestDatabases
{
    public const string PostgresVariable = "S3R_TEST_POSTGRES";

    public static (IRegistryRepository Repository, Func<Task> Cleanup) Sqlite(ChangeNotifier notifier, TimeProvider time)
    {
        var dir = Directory.CreateTempSubdirectory("s3r-registry-test-").FullName;
        var repository = new SqliteRegistryRepository(Path.Combine(dir, "registry.db"), TimeSpan.FromSeconds(30), notifier, time);
        return (repository, () =>
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
            return Task.CompletedTask;
        });
    }

    /// <summary>Connection string of the test server; skips (or fails under CI) when there is none.</summary>
    public static string PostgresConnectionString()
    {
        var value = Environment.GetEnvironmentVariable(PostgresVariable);
        if (!string.IsNullOrWhiteSpace(value))
        {
            return value;
        }
        var message = $"{PostgresVariable} is not set: start a server with `eval \"$(bash scripts/postgres.sh start)\"` to run the PostgreSQL tests.";
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            Assert.Fail(message);
        }
        Assert.Skip(message);
        return "";
    }

    /// <summary>A new empty schema; returns a connection string whose search path is that schema.</summary>
    public static async Task<(string ConnectionString, Func<Task> Cleanup)> PostgresSchemaAsync()
    {
        var admin = PostgresConnectionString();
        var schema = "t_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var scoped = new NpgsqlConnectionStringBuilder(admin) { SearchPath = schema }.ToString();
        return (scoped, async () =>
        {
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA {schema} CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        });
    }

    public static async Task<(IRegistryRepository Repository, Func<Task> Cleanup)> PostgresAsync(ChangeNotifier notifier, TimeProvider time)
    {
        var (connectionString, dropSchema) = await PostgresSchemaAsync();
        var dataSource = NpgsqlDataSource.Create(connectionString);
        return (new PostgresRegistryRepository(dataSource, notifier, time), async () =>
        {
            await dataSource.DisposeAsync();
            await dropSchema();
        });
    }
}
