using Google.Protobuf;
using Microsoft.Data.Sqlite;
using S3Router.Api.V1;

namespace S3Router.TrainingService.Jobs;

/// <summary>
/// The jobs of this worker in one SQLite file: each job as its protobuf bytes plus the columns queries need.
/// WAL mode, one short connection per call (pooled), so the gRPC handlers and the worker never block each other for long.
/// </summary>
internal sealed class JobRepository
{
    private readonly string _connectionString;

    public JobRepository(string databasePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS jobs (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                request_id TEXT UNIQUE,
                state INTEGER NOT NULL,
                job BLOB NOT NULL
            );
            CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, seq);
            """);
    }

    /// <summary>Inserts a new job, or returns the job already stored under <paramref name="requestId"/>.</summary>
    /// <returns>The stored job and whether it is the one just inserted.</returns>
    public (Job Job, bool Created) Insert(Job job, string? requestId)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        if (!string.IsNullOrEmpty(requestId))
        {
            using var find = Command(connection, "SELECT job FROM jobs WHERE request_id = $r", ("$r", requestId));
            if (find.ExecuteScalar() is byte[] existing)
            {
                return (Job.Parser.ParseFrom(existing), false);
            }
        }

        using var insert = Command(connection, "INSERT INTO jobs (id, request_id, state, job) VALUES ($id, $r, $s, $j)",
            ("$id", job.Id), ("$r", string.IsNullOrEmpty(requestId) ? DBNull.Value : requestId), ("$s", (int)job.State), ("$j", job.ToByteArray()));
        insert.ExecuteNonQuery();
        transaction.Commit();
        return (job, true);
    }

    public Job? Get(string id)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT job FROM jobs WHERE id = $id", ("$id", id));
        return command.ExecuteScalar() is byte[] bytes ? Job.Parser.ParseFrom(bytes) : null;
    }

    /// <summary>Replaces the stored job with the same id.</summary>
    public void Update(Job job)
    {
        using var connection = Open();
        using var command = Command(connection, "UPDATE jobs SET state = $s, job = $j WHERE id = $id",
            ("$id", job.Id), ("$s", (int)job.State), ("$j", job.ToByteArray()));
        if (command.ExecuteNonQuery() != 1)
        {
            throw new InvalidOperationException($"job {job.Id} is not in the database");
        }
    }

    /// <summary>One page, newest first. <paramref name="beforeSeq"/> is the cursor of the previous page (0 = start).</summary>
    /// <returns>The jobs and the cursor of the next page (0 when this is the last).</returns>
    public (IReadOnlyList<Job> Jobs, long NextCursor) List(JobState state, int pageSize, long beforeSeq)
    {
        using var connection = Open();
        var where = new List<string>();
        var parameters = new List<(string, object)> { ("$n", pageSize + 1) };
        if (state != JobState.Unspecified)
        {
            where.Add("state = $s");
            parameters.Add(("$s", (int)state));
        }

        if (beforeSeq > 0)
        {
            where.Add("seq < $b");
            parameters.Add(("$b", beforeSeq));
        }

        var sql = "SELECT seq, job FROM jobs" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY seq DESC LIMIT $n";
        using var command = Command(connection, sql, [.. parameters]);
        using var reader = command.ExecuteReader();
        var jobs = new List<Job>();
        var seqs = new List<long>();
        while (reader.Read())
        {
            seqs.Add(reader.GetInt64(0));
            jobs.Add(Job.Parser.ParseFrom((byte[])reader[1]));
        }

        if (jobs.Count <= pageSize)
        {
            return (jobs, 0);
        }

        jobs.RemoveAt(pageSize);
        return (jobs, seqs[pageSize - 1]);
    }

    /// <summary>Jobs in any of <paramref name="states"/>, oldest first.</summary>
    public IReadOnlyList<Job> ListInStates(params JobState[] states)
    {
        using var connection = Open();
        using var command = Command(connection,
            $"SELECT job FROM jobs WHERE state IN ({string.Join(", ", states.Select(s => (int)s))}) ORDER BY seq");
        using var reader = command.ExecuteReader();
        var jobs = new List<Job>();
        while (reader.Read())
        {
            jobs.Add(Job.Parser.ParseFrom((byte[])reader[0]));
        }

        return jobs;
    }

    /// <summary>Number of jobs per state.</summary>
    public IReadOnlyDictionary<JobState, long> CountByState()
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT state, COUNT(*) FROM jobs GROUP BY state");
        using var reader = command.ExecuteReader();
        var counts = new Dictionary<JobState, long>();
        while (reader.Read())
        {
            counts[(JobState)reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>True when the database answers a query.</summary>
    public bool Ping()
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT COUNT(*) FROM jobs WHERE seq < 0");
        return command.ExecuteScalar() is long;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
