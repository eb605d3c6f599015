using System.Diagnostics;
using Npgsql;
using S3Router.Testing;

namespace S3Router.Bench;

/// <summary>
/// A PostgreSQL for the registry benchmark: the server named by S3R_TEST_POSTGRES when set, else one started with
/// <c>scripts/postgres.sh start</c> (its state file in a private TMPDIR, so a test run's server elsewhere is left alone)
/// and stopped on dispose. Each benchmark store gets a fresh schema.
/// </summary>
internal sealed class BenchPostgres : IAsyncDisposable
{
    private const string Variable = "S3R_TEST_POSTGRES";
    private readonly string? _script;
    private readonly string? _tempDirectory;
    private readonly List<string> _schemas = [];

    private BenchPostgres(string connectionString, string? script, string? tempDirectory)
    {
        ConnectionString = connectionString;
        _script = script;
        _tempDirectory = tempDirectory;
    }

    /// <summary>The server's admin connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>Where the server came from, for the report.</summary>
    public string Origin => _script is null ? $"${Variable}" : "scripts/postgres.sh (PostgreSQL 15, fsync=off)";

    /// <summary>The server, or null (with the reason printed) when none can be had.</summary>
    public static async Task<BenchPostgres?> StartAsync(string workDirectory)
    {
        var given = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            return new BenchPostgres(given, null, null);
        }

        var script = RepositoryPaths.Find(Path.Combine("scripts", "postgres.sh"));
        // postgres.sh runs the server as the postgres user when we are root: the TMPDIR must be traversable.
        var temp = Directory.CreateDirectory(Path.Combine(workDirectory, "pg")).FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(workDirectory, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(temp, (UnixFileMode)0b111_101_101);
        }

        var (exitCode, output, error) = await RunScriptAsync(script, temp, "start");
        const string prefix = $"export {Variable}='";
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        if (exitCode != 0 || line is null)
        {
            Console.WriteLine($"PostgreSQL skipped: `bash scripts/postgres.sh start` failed (exit {exitCode}): {error.Trim()}");
            return null;
        }

        return new BenchPostgres(line[prefix.Length..].TrimEnd('\'', '\r'), script, temp);
    }

    /// <summary>A connection string whose search path is a new empty schema (dropped on dispose).</summary>
    public async Task<string> NewSchemaAsync()
    {
        var schema = "bench_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync($"CREATE SCHEMA {schema}");
        _schemas.Add(schema);
        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema }.ToString();
    }

    /// <summary>The server's version string.</summary>
    public async Task<string> VersionAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_setting('server_version') || ', fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit')", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_script is null)
        {
            foreach (var schema in _schemas)
            {
                await ExecuteAsync($"DROP SCHEMA {schema} CASCADE");
            }
            return;
        }

        // A server we started goes away with its schemas.
        await RunScriptAsync(_script, _tempDirectory!, "stop");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunScriptAsync(string script, string tempDirectory, string verb)
    {
        var info = new ProcessStartInfo("bash", [script, verb]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["TMPDIR"] = tempDirectory;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
