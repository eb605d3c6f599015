using System.Data.Common;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using S3Router.Api.V1;
using S3Router.Core.Errors;

namespace S3Router.MaskRegistry.Storage;

/// <summary>
/// The repository in plain portable SQL (TEXT/BIGINT, ON CONFLICT, RETURNING, row values) shared by SQLite and
/// PostgreSQL; subclasses only open connections and start write transactions.
/// Every write transaction first locks the single <c>registry_state</c> row, so writers are serialized and
/// revisions are handed out in commit order: a reader that saw revision N never later finds a new event below N.
/// </summary>
internal abstract class SqlRegistryRepository(ChangeNotifier notifier, TimeProvider time) : IRegistryRepository
{
    private const string VersionColumns =
        "task, language, version, digest, size_bytes, backbone_digest, create_time_us, creator, yanked, yank_reason, metadata_json";

    // Append-only: a schema change is a new entry; never edit one that has shipped.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS registry_state (id BIGINT PRIMARY KEY, revision BIGINT NOT NULL);
        INSERT INTO registry_state (id, revision) VALUES (1, 0) ON CONFLICT DO NOTHING;
        CREATE TABLE IF NOT EXISTS backbones (
            digest TEXT PRIMARY KEY, name TEXT NOT NULL, config_json TEXT NOT NULL, tensors_json TEXT NOT NULL,
            parameter_count BIGINT NOT NULL, create_time_us BIGINT NOT NULL, creator TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS mask_versions (
            task TEXT NOT NULL, language TEXT NOT NULL, version BIGINT NOT NULL, digest TEXT NOT NULL UNIQUE,
            size_bytes BIGINT NOT NULL, backbone_digest TEXT NOT NULL, create_time_us BIGINT NOT NULL,
            creator TEXT NOT NULL, yanked BIGINT NOT NULL, yank_reason TEXT NOT NULL, metadata_json TEXT NOT NULL,
            PRIMARY KEY (task, language, version));
        CREATE TABLE IF NOT EXISTS aliases (
            task TEXT NOT NULL, language TEXT NOT NULL, alias TEXT NOT NULL, version BIGINT NOT NULL,
            PRIMARY KEY (task, language, alias));
        CREATE TABLE IF NOT EXISTS events (
            revision BIGINT PRIMARY KEY, time_us BIGINT NOT NULL, type BIGINT NOT NULL, task TEXT NOT NULL,
            language TEXT NOT NULL, version BIGINT NOT NULL, digest TEXT NOT NULL, alias TEXT NOT NULL);
        """,
    ];

    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _initialized;

    /// <summary>Opens a connection ready for use.</summary>
    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Starts a transaction that may write.</summary>
    protected abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Runs once before migrations, inside their transaction (e.g. an advisory lock against other replicas).</summary>
    protected virtual Task BeforeMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }
        await _initLock.WaitAsync(cancellationToken);
        try
        {
            if (_initialized)
            {
                return;
            }
            await using var connection = await OpenAsync(cancellationToken);
            await using var tx = await BeginWriteAsync(connection, cancellationToken);
            await BeforeMigrationsAsync(connection, tx, cancellationToken);
            await ExecuteAsync(connection, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)", cancellationToken);
            var applied = await ScalarAsync<long>(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", cancellationToken);
            if (applied > Migrations.Length)
            {
                throw new FailedPreconditionException($"The registry database has schema version {applied}, newer than this build knows ({Migrations.Length}); upgrade the registry.");
            }
            for (var i = (int)applied; i < Migrations.Length; i++)
            {
                await ExecuteAsync(connection, tx, Migrations[i], cancellationToken);
                await ExecuteAsync(connection, tx, "INSERT INTO schema_migrations (version) VALUES (@v)", cancellationToken, ("@v", i + 1L));
            }
            await tx.CommitAsync(cancellationToken);
            _initialized = true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        return await ScalarAsync<long>(connection, null, "SELECT revision FROM registry_state WHERE id = 1", cancellationToken) >= 0;
    }

    public Task<(Backbone Backbone, bool Created)> RegisterBackboneAsync(Backbone backbone, CancellationToken cancellationToken) =>
        WriteAsync(async w =>
        {
            var existing = await GetBackboneAsync(w.Connection, w.Transaction, backbone.Digest, cancellationToken);
            if (existing is not null)
            {
                return (existing, false);
            }
            var stored = backbone.Clone();
            stored.CreateTime = Timestamp.FromDateTimeOffset(Truncate(time.GetUtcNow()));
            var tensors = new Backbone { Tensors = { stored.Tensors } };
            await ExecuteAsync(w.Connection, w.Transaction,
                "INSERT INTO backbones (digest, name, config_json, tensors_json, parameter_count, create_time_us, creator) VALUES (@d, @n, @c, @t, @p, @ct, @cr)",
                cancellationToken,
                ("@d", stored.Digest), ("@n", stored.Name), ("@c", stored.ConfigJson), ("@t", JsonFormatter.Default.Format(tensors)),
                ("@p", stored.ParameterCount), ("@ct", ToMicros(stored.CreateTime)), ("@cr", stored.Creator));
            return (stored, true);
        }, cancellationToken);

    public async Task<Backbone?> GetBackboneAsync(string digest, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        return await GetBackboneAsync(connection, null, digest, cancellationToken);
    }

    public async Task<Page<Backbone>> ListBackbonesAsync(int pageSize, string pageToken, CancellationToken cancellationToken)
    {
        var after = DecodeToken(pageToken);
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        var items = await QueryAsync(connection, null,
            "SELECT digest, name, config_json, tensors_json, parameter_count, create_time_us, creator FROM backbones WHERE digest > @a ORDER BY digest LIMIT @n",
            ReadBackbone, cancellationToken, ("@a", after), ("@n", pageSize + 1L));
        return ToPage(items, pageSize, b => b.Digest);
    }

    public async Task<(MaskVersion Version, bool Created)> PublishAsync(MaskVersion candidate, string? setAlias, CancellationToken cancellationToken)
    {
        var result = await WriteAsync(async w =>
        {
            var existing = await GetVersionWhereAsync(w, "digest = @d", cancellationToken, ("@d", candidate.Digest));
            var created = existing is null;
            var stored = existing;
            if (stored is null)
            {
                var next = 1 + await ScalarAsync<long>(w.Connection, w.Transaction,
                    "SELECT COALESCE(MAX(version), 0) FROM mask_versions WHERE task = @t AND language = @l",
                    cancellationToken, ("@t", candidate.Task), ("@l", candidate.LanguageCode));
                stored = candidate.Clone();
                stored.Version = next;
                stored.CreateTime = Timestamp.FromDateTimeOffset(Truncate(time.GetUtcNow()));
                stored.Yanked = false;
                stored.YankReason = "";
                stored.Aliases.Clear();
                await ExecuteAsync(w.Connection, w.Transaction,
                    $"INSERT INTO mask_versions ({VersionColumns}) VALUES (@t, @l, @v, @d, @s, @b, @ct, @cr, 0, '', @m)",
                    cancellationToken,
                    ("@t", stored.Task), ("@l", stored.LanguageCode), ("@v", stored.Version), ("@d", stored.Digest),
                    ("@s", stored.SizeBytes), ("@b", stored.BackboneDigest), ("@ct", ToMicros(stored.CreateTime)),
                    ("@cr", stored.Creator), ("@m", MetadataJson(stored)));
                await AppendEventAsync(w, MaskEventType.Published, stored.Task, stored.LanguageCode, stored.Version, stored.Digest, "", cancellationToken);
            }
            if (!string.IsNullOrEmpty(setAlias))
            {
                await MoveAliasAsync(w, stored, setAlias, expectedVersion: null, cancellationToken);
            }
            return (Version: await WithAliasesAsync(w.Connection, w.Transaction, stored, cancellationToken), Created: created);
        }, cancellationToken);
        return result;
    }

    public async Task<MaskVersion?> GetVersionAsync(string task, string languageCode, long version, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        var scope = new WriteScope(connection, null);
        var found = await GetVersionWhereAsync(scope, "task = @t AND language = @l AND version = @v", cancellationToken,
            ("@t", task), ("@l", languageCode), ("@v", version));
        return found is null ? null : await WithAliasesAsync(connection, null, found, cancellationToken);
    }

    public async Task<MaskVersion?> GetVersionByDigestAsync(string digest, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        var found = await GetVersionWhereAsync(new WriteScope(connection, null), "digest = @d", cancellationToken, ("@d", digest));
        return found is null ? null : await WithAliasesAsync(connection, null, found, cancellationToken);
    }

    public async Task<long?> GetAliasAsync(string task, string languageCode, string alias, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        return await GetAliasAsync(connection, null, task, languageCode, alias, cancellationToken);
    }

    public async Task<Page<MaskVersion>> ListVersionsAsync(string task, string languageCode, bool includeYanked, int pageSize, string pageToken, CancellationToken cancellationToken)
    {
        var token = DecodeToken(pageToken);
        long before = long.MaxValue;
        if (token.Length > 0 && !long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out before))
        {
            throw new InvalidInputException("page_token is not a token this listing returned", "page_token");
        }
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        var items = await QueryAsync(connection, null,
            $"SELECT {VersionColumns} FROM mask_versions WHERE task = @t AND language = @l AND version < @b AND (@y = 1 OR yanked = 0) ORDER BY version DESC LIMIT @n",
            ReadVersion, cancellationToken,
            ("@t", task), ("@l", languageCode), ("@b", before), ("@y", includeYanked ? 1L : 0L), ("@n", pageSize + 1L));
        var aliases = await AliasesOfRouteAsync(connection, null, task, languageCode, cancellationToken);
        foreach (var v in items)
        {
            v.Aliases.AddRange(aliases.Where(a => a.Version == v.Version).Select(a => a.Alias));
        }
        return ToPage(items, pageSize, v => v.Version.ToString(CultureInfo.InvariantCulture));
    }

    public async Task<Page<MaskRoute>> ListRoutesAsync(string task, string languageCode, int pageSize, string pageToken, CancellationToken cancellationToken)
    {
        var token = DecodeToken(pageToken);
        var afterTask = "";
        var afterLanguage = "";
        if (token.Length > 0)
        {
            var parts = token.Split('\n');
            if (parts.Length != 2)
            {
                throw new InvalidInputException("page_token is not a token this listing returned", "page_token");
            }
            (afterTask, afterLanguage) = (parts[0], parts[1]);
        }
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        const string filter = "(@ft = '' OR task = @ft) AND (@fl = '' OR language = @fl) AND (task > @at OR (task = @at AND language > @al))";
        var routes = await QueryAsync(connection, null,
            $"SELECT task, language, MAX(version), COUNT(*) FROM mask_versions WHERE {filter} GROUP BY task, language ORDER BY task, language LIMIT @n",
            r => new MaskRoute { Task = r.GetString(0), LanguageCode = r.GetString(1), LatestVersion = r.GetInt64(2), VersionCount = r.GetInt64(3) },
            cancellationToken, ("@ft", task), ("@fl", languageCode), ("@at", afterTask), ("@al", afterLanguage), ("@n", pageSize + 1L));
        var page = ToPage(routes, pageSize, r => r.Task + "\n" + r.LanguageCode);
        foreach (var route in page.Items)
        {
            foreach (var (alias, version) in await AliasesOfRouteAsync(connection, null, route.Task, route.LanguageCode, cancellationToken))
            {
                route.Aliases[alias] = version;
            }
        }
        return page;
    }

    public Task<(long PreviousVersion, MaskVersion Version)> SetAliasAsync(string task, string languageCode, string alias, long version, long? expectedVersion, CancellationToken cancellationToken) =>
        WriteAsync(async w =>
        {
            var target = await GetVersionWhereAsync(w, "task = @t AND language = @l AND version = @v", cancellationToken,
                ("@t", task), ("@l", languageCode), ("@v", version))
                ?? throw new NotFoundException($"{task}/{languageCode} has no version {version}.");
            var previous = await MoveAliasAsync(w, target, alias, expectedVersion, cancellationToken);
            return (previous, await WithAliasesAsync(w.Connection, w.Transaction, target, cancellationToken));
        }, cancellationToken);

    public Task<long> DeleteAliasAsync(string task, string languageCode, string alias, long? expectedVersion, CancellationToken cancellationToken) =>
        WriteAsync(async w =>
        {
            var current = await GetAliasAsync(w.Connection, w.Transaction, task, languageCode, alias, cancellationToken)
                ?? throw new NotFoundException($"{task}/{languageCode} has no alias \"{alias}\".");
            if (expectedVersion is { } expected && expected != current)
            {
                throw new FailedPreconditionException($"Alias \"{alias}\" of {task}/{languageCode} points at version {current}, not {expected}; it was not deleted. Read it again and retry.");
            }
            await ExecuteAsync(w.Connection, w.Transaction, "DELETE FROM aliases WHERE task = @t AND language = @l AND alias = @a", cancellationToken,
                ("@t", task), ("@l", languageCode), ("@a", alias));
            await AppendEventAsync(w, MaskEventType.AliasDeleted, task, languageCode, 0, "", alias, cancellationToken);
            return current;
        }, cancellationToken);

    public Task<MaskVersion> SetYankedAsync(string task, string languageCode, long version, bool yanked, string reason, CancellationToken cancellationToken) =>
        WriteAsync(async w =>
        {
            var target = await GetVersionWhereAsync(w, "task = @t AND language = @l AND version = @v", cancellationToken,
                ("@t", task), ("@l", languageCode), ("@v", version))
                ?? throw new NotFoundException($"{task}/{languageCode} has no version {version}.");
            var newReason = yanked ? reason : "";
            if (target.Yanked != yanked || target.YankReason != newReason)
            {
                await ExecuteAsync(w.Connection, w.Transaction,
                    "UPDATE mask_versions SET yanked = @y, yank_reason = @r WHERE task = @t AND language = @l AND version = @v", cancellationToken,
                    ("@y", yanked ? 1L : 0L), ("@r", newReason), ("@t", task), ("@l", languageCode), ("@v", version));
                if (target.Yanked != yanked)
                {
                    await AppendEventAsync(w, yanked ? MaskEventType.Yanked : MaskEventType.Unyanked, task, languageCode, version, target.Digest, "", cancellationToken);
                }
                target.Yanked = yanked;
                target.YankReason = newReason;
            }
            return await WithAliasesAsync(w.Connection, w.Transaction, target, cancellationToken);
        }, cancellationToken);

    public async Task<IReadOnlyList<MaskEvent>> ReadEventsAsync(long afterRevision, int limit, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null,
            "SELECT revision, time_us, type, task, language, version, digest, alias FROM events WHERE revision > @r ORDER BY revision LIMIT @n",
            r => new MaskEvent
            {
                Revision = r.GetInt64(0),
                Time = Timestamp.FromDateTimeOffset(FromMicros(r.GetInt64(1))),
                Type = (MaskEventType)r.GetInt64(2),
                Task = r.GetString(3),
                LanguageCode = r.GetString(4),
                Version = r.GetInt64(5),
                Digest = r.GetString(6),
                Alias = r.GetString(7),
            },
            cancellationToken, ("@r", afterRevision), ("@n", (long)limit));
    }

    public async Task<long> GetRevisionAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        return await ScalarAsync<long>(connection, null, "SELECT revision FROM registry_state WHERE id = 1", cancellationToken);
    }

    public async Task<IReadOnlySet<string>> ListVersionDigestsAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        var digests = await QueryAsync(connection, null, "SELECT digest FROM mask_versions", r => r.GetString(0), cancellationToken);
        return digests.ToHashSet(StringComparer.Ordinal);
    }

    private async Task<long> MoveAliasAsync(WriteScope w, MaskVersion target, string alias, long? expectedVersion, CancellationToken cancellationToken)
    {
        var route = $"{target.Task}/{target.LanguageCode}";
        if (target.Yanked)
        {
            throw new FailedPreconditionException($"Version {target.Version} of {route} is yanked ({target.YankReason}); an alias cannot point at it. Unyank it first or pick another version.");
        }
        var current = await GetAliasAsync(w.Connection, w.Transaction, target.Task, target.LanguageCode, alias, cancellationToken) ?? 0;
        if (expectedVersion is { } expected && expected != current)
        {
            var now = current == 0 ? "does not exist" : $"points at version {current}";
            throw new FailedPreconditionException($"Alias \"{alias}\" of {route} {now}, not {(expected == 0 ? "absent" : $"version {expected}")} as expected; it was not moved. Read it again and retry.");
        }
        if (current == target.Version)
        {
            return current;
        }
        await ExecuteAsync(w.Connection, w.Transaction,
            "INSERT INTO aliases (task, language, alias, version) VALUES (@t, @l, @a, @v) ON CONFLICT (task, language, alias) DO UPDATE SET version = @v",
            cancellationToken, ("@t", target.Task), ("@l", target.LanguageCode), ("@a", alias), ("@v", target.Version));
        await AppendEventAsync(w, MaskEventType.AliasSet, target.Task, target.LanguageCode, target.Version, target.Digest, alias, cancellationToken);
        return current;
    }

    private async Task AppendEventAsync(WriteScope w, MaskEventType type, string task, string language, long version, string digest, string alias, CancellationToken cancellationToken)
    {
        var revision = await ScalarAsync<long>(w.Connection, w.Transaction,
            "UPDATE registry_state SET revision = revision + 1 WHERE id = 1 RETURNING revision", cancellationToken);
        await ExecuteAsync(w.Connection, w.Transaction,
            "INSERT INTO events (revision, time_us, type, task, language, version, digest, alias) VALUES (@r, @ti, @ty, @t, @l, @v, @d, @a)",
            cancellationToken, ("@r", revision), ("@ti", ToMicros(time.GetUtcNow())), ("@ty", (long)type), ("@t", task), ("@l", language),
            ("@v", version), ("@d", digest), ("@a", alias));
        w.EventsWritten = true;
    }

    private async Task<T> WriteAsync<T>(Func<WriteScope, Task<T>> work, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await BeginWriteAsync(connection, cancellationToken);
        // Serializes writers (PostgreSQL row lock; SQLite holds the write lock already) so revisions follow commit order.
        await ExecuteAsync(connection, tx, "UPDATE registry_state SET revision = revision WHERE id = 1", cancellationToken);
        var scope = new WriteScope(connection, tx);
        var result = await work(scope);
        await tx.CommitAsync(cancellationToken);
        if (scope.EventsWritten)
        {
            notifier.Notify();
        }
        return result;
    }

    private static async Task<Backbone?> GetBackboneAsync(DbConnection connection, DbTransaction? tx, string digest, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(connection, tx,
            "SELECT digest, name, config_json, tensors_json, parameter_count, create_time_us, creator FROM backbones WHERE digest = @d",
            ReadBackbone, cancellationToken, ("@d", digest));
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<long?> GetAliasAsync(DbConnection connection, DbTransaction? tx, string task, string language, string alias, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(connection, tx, "SELECT version FROM aliases WHERE task = @t AND language = @l AND alias = @a",
            r => r.GetInt64(0), cancellationToken, ("@t", task), ("@l", language), ("@a", alias));
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<MaskVersion?> GetVersionWhereAsync(WriteScope w, string where, CancellationToken cancellationToken, params (string, object)[] parameters)
    {
        var rows = await QueryAsync(w.Connection, w.Transaction, $"SELECT {VersionColumns} FROM mask_versions WHERE {where}", ReadVersion, cancellationToken, parameters);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<MaskVersion> WithAliasesAsync(DbConnection connection, DbTransaction? tx, MaskVersion version, CancellationToken cancellationToken)
    {
        var aliases = await AliasesOfRouteAsync(connection, tx, version.Task, version.LanguageCode, cancellationToken);
        version.Aliases.Clear();
        version.Aliases.AddRange(aliases.Where(a => a.Version == version.Version).Select(a => a.Alias));
        return version;
    }

    private static Task<List<(string Alias, long Version)>> AliasesOfRouteAsync(DbConnection connection, DbTransaction? tx, string task, string language, CancellationToken cancellationToken) =>
        QueryAsync(connection, tx, "SELECT alias, version FROM aliases WHERE task = @t AND language = @l ORDER BY alias",
            r => (r.GetString(0), r.GetInt64(1)), cancellationToken, ("@t", task), ("@l", language));

    // Rows written by a newer registry (a field added since, such as lineage.torch_threads) stay readable after a
    // rollback: unknown fields are dropped, as protobuf's binary parser does.
    private static readonly JsonParser StoredJson = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private static Backbone ReadBackbone(DbDataReader r)
    {
        var backbone = StoredJson.Parse<Backbone>(r.GetString(3));
        backbone.Digest = r.GetString(0);
        backbone.Name = r.GetString(1);
        backbone.ConfigJson = r.GetString(2);
        backbone.ParameterCount = r.GetInt64(4);
        backbone.CreateTime = Timestamp.FromDateTimeOffset(FromMicros(r.GetInt64(5)));
        backbone.Creator = r.GetString(6);
        return backbone;
    }

    private static MaskVersion ReadVersion(DbDataReader r)
    {
        var version = StoredJson.Parse<MaskVersion>(r.GetString(10));
        version.Task = r.GetString(0);
        version.LanguageCode = r.GetString(1);
        version.Version = r.GetInt64(2);
        version.Digest = r.GetString(3);
        version.SizeBytes = r.GetInt64(4);
        version.BackboneDigest = r.GetString(5);
        version.CreateTime = Timestamp.FromDateTimeOffset(FromMicros(r.GetInt64(6)));
        version.Creator = r.GetString(7);
        version.Yanked = r.GetInt64(8) != 0;
        version.YankReason = r.GetString(9);
        return version;
    }

    // Only what the columns do not hold: head, labels, tensors, lineage, metrics.
    private static string MetadataJson(MaskVersion v) => JsonFormatter.Default.Format(new MaskVersion
    {
        HeadKind = v.HeadKind,
        LabelCount = v.LabelCount,
        MaskedTensors = { v.MaskedTensors },
        Lineage = v.Lineage,
        Metrics = { v.Metrics },
        Labels = { v.Labels },
    });

    private static Page<T> ToPage<T>(List<T> rows, int pageSize, Func<T, string> key)
    {
        if (rows.Count <= pageSize)
        {
            return new Page<T>(rows, "");
        }
        rows.RemoveRange(pageSize, rows.Count - pageSize);
        return new Page<T>(rows, Convert.ToBase64String(Encoding.UTF8.GetBytes(key(rows[^1]))));
    }

    private static string DecodeToken(string pageToken)
    {
        if (string.IsNullOrEmpty(pageToken))
        {
            return "";
        }
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(pageToken));
        }
        catch (FormatException)
        {
            throw new InvalidInputException("page_token is not a token this listing returned", "page_token");
        }
    }

    private static DateTimeOffset Truncate(DateTimeOffset t) => FromMicros(ToMicros(t));

    private static long ToMicros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static long ToMicros(Timestamp t) => ToMicros(t.ToDateTimeOffset());

    private static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * 10);

    private static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            command.Parameters.Add(p);
        }
        return command;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string, object)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<T> ScalarAsync<T>(DbConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string, object)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return (T)Convert.ChangeType(value!, typeof(T), CultureInfo.InvariantCulture);
    }

    private static async Task<List<T>> QueryAsync<T>(DbConnection connection, DbTransaction? tx, string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string, object)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    private sealed class WriteScope(DbConnection connection, DbTransaction? transaction)
    {
        public DbConnection Connection { get; } = connection;

        public DbTransaction? Transaction { get; } = transaction;

        public bool EventsWritten { get; set; }
    }
}
