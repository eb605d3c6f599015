using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.TrainingService.Telemetry;

namespace S3Router.TrainingService.Jobs;

/// <summary>
/// The jobs of this worker: submit, read, watch and cancel for the gRPC handlers, and the state transitions the
/// <see cref="JobWorker"/> drives. State changes are written to the database before anyone sees them; progress is
/// streamed to watchers at once but written at most once per <see cref="TrainingServiceOptions.ProgressPersistInterval"/>.
/// On construction, jobs a previous process left RUNNING are queued again (they resume from their checkpoints).
/// </summary>
internal sealed class JobManager
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;
    private const int MaxRequestIdLength = 128;

    private readonly ConcurrentDictionary<string, JobCell> _live = new(StringComparer.Ordinal);
    private readonly JobRepository _repository;
    private readonly JobQueue _queue;
    private readonly TrainingMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly TrainingServiceOptions _options;
    private readonly ILogger<JobManager> _logger;

    public JobManager(JobRepository repository, JobQueue queue, TrainingMetrics metrics, TimeProvider time,
        IOptions<TrainingServiceOptions> options, ILogger<JobManager> logger)
    {
        _repository = repository;
        _queue = queue;
        _metrics = metrics;
        _time = time;
        _options = options.Value;
        _logger = logger;
        Recover();
    }

    public static bool IsEnded(JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;

    /// <summary>Validates and queues a job; with a <paramref name="requestId"/> seen before, returns that job instead.</summary>
    public Job Submit(JobSpec? spec, string requestId)
    {
        if (requestId.Length > MaxRequestIdLength)
        {
            throw new InvalidInputException($"request_id is longer than {MaxRequestIdLength} characters", "request_id");
        }

        JobSpecValidator.Validate(spec);
        var now = _time.GetUtcNow();
        var job = new Job
        {
            Id = Guid.CreateVersion7(now).ToString("N"),
            Spec = spec!.Clone(),
            State = JobState.Queued,
            CreateTime = Timestamp.FromDateTimeOffset(now),
            Progress = new JobProgress { TotalSteps = spec.Optimization?.MaxSteps ?? 0 },
        };
        var (stored, created) = _repository.Insert(job, requestId);
        if (!created)
        {
            return _live.TryGetValue(stored.Id, out var existing) ? existing.Current : stored;
        }

        _live[job.Id] = new JobCell(job);
        _metrics.JobAdded(JobState.Queued);
        _queue.Enqueue(job.Id);
        Log.JobQueued(_logger, job.Id, job.Spec.Kind.ToString(), job.Spec.Task, job.Spec.LanguageCode);
        return job;
    }

    public Job Get(string jobId)
    {
        CheckId(jobId);
        if (_live.TryGetValue(jobId, out var cell))
        {
            return cell.Current;
        }

        return _repository.Get(jobId) ?? throw new NotFoundException($"job '{jobId}' does not exist");
    }

    /// <summary>One page of jobs, newest first, optionally only those in <paramref name="state"/>.</summary>
    public (IReadOnlyList<Job> Jobs, string NextPageToken) List(JobState state, int pageSize, string pageToken)
    {
        var violations = new List<FieldViolation>();
        if (!System.Enum.IsDefined(state))
        {
            violations.Add(new("state", $"{(int)state} is not a job state"));
        }

        if (pageSize < 0)
        {
            violations.Add(new("page_size", "must not be negative (0 means 100)"));
        }

        long cursor = 0;
        if (pageToken.Length > 0 && (!long.TryParse(pageToken, NumberStyles.None, CultureInfo.InvariantCulture, out cursor) || cursor <= 0))
        {
            violations.Add(new("page_token", "is not a token from a previous ListJobs response"));
        }

        if (violations.Count > 0)
        {
            throw new InvalidInputException(string.Join("; ", violations.Select(v => $"{v.Field} {v.Description}")), violations);
        }

        var size = pageSize == 0 ? DefaultPageSize : Math.Min(pageSize, MaxPageSize);
        var (jobs, next) = _repository.List(state, size, cursor);
        // The database has every state change but throttled progress: prefer the live snapshot.
        var fresh = jobs.Select(j => _live.TryGetValue(j.Id, out var cell) ? cell.Current : j).ToList();
        return (fresh, next == 0 ? "" : next.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The job's current state, then every change (latest wins for slow readers), until the job has ended.</summary>
    public async IAsyncEnumerable<Job> WatchAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        CheckId(jobId);
        if (!_live.TryGetValue(jobId, out var cell))
        {
            yield return _repository.Get(jobId) ?? throw new NotFoundException($"job '{jobId}' does not exist");
            yield break;
        }

        while (true)
        {
            var (job, changed) = cell.Snapshot();
            yield return job;
            if (IsEnded(job.State))
            {
                yield break;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// QUEUED jobs are cancelled at once; RUNNING ones become CANCELLING and are CANCELLED when the runner stops
    /// (within one step); jobs that are cancelling or have ended are returned unchanged.
    /// </summary>
    public Job Cancel(string jobId)
    {
        CheckId(jobId);
        if (!_live.TryGetValue(jobId, out var cell))
        {
            return _repository.Get(jobId) ?? throw new NotFoundException($"job '{jobId}' does not exist");
        }

        Job next;
        lock (cell.Transition)
        {
            var current = cell.Current;
            switch (current.State)
            {
                case JobState.Queued:
                    next = End(cell, JobState.Cancelled, j => { });
                    Log.JobCancelled(_logger, jobId, "queued");
                    return next;
                case JobState.Running:
                    next = Move(cell, JobState.Cancelling, j => { });
                    break;
                default:
                    return current;
            }
        }

        // Outside the lock: the runner's cancellation callbacks may run inline and come back here to finish the job.
        cell.Cancellation.Cancel();
        return next;
    }

    /// <summary>Moves a queued job to RUNNING for the worker; null when it is no longer queued (cancelled meanwhile).</summary>
    public (Job Job, CancellationToken Cancellation, string WorkDirectory)? TryStart(string jobId)
    {
        if (!_live.TryGetValue(jobId, out var cell))
        {
            return null;
        }

        lock (cell.Transition)
        {
            if (cell.Current.State != JobState.Queued)
            {
                return null;
            }

            var now = _time.GetUtcNow();
            var job = Move(cell, JobState.Running, j => j.StartTime ??= Timestamp.FromDateTimeOffset(now));
            cell.LastPersisted = now;
            cell.LastStep = null;
            var workDirectory = WorkDirectory(jobId);
            Directory.CreateDirectory(workDirectory);
            Log.JobStarted(_logger, jobId, workDirectory);
            return (job, cell.Cancellation.Token, workDirectory);
        }
    }

    /// <summary>Publishes the runner's progress to watchers; writes it to the database when the last write is old enough.</summary>
    public void ReportProgress(string jobId, JobProgress progress)
    {
        if (!_live.TryGetValue(jobId, out var cell))
        {
            return;
        }

        lock (cell.Transition)
        {
            var current = cell.Current;
            if (current.State is not (JobState.Running or JobState.Cancelling))
            {
                return;
            }

            var next = current.Clone();
            next.Progress = progress.Clone();
            cell.Set(next);

            var now = _time.GetUtcNow();
            if (cell.LastStep is { } last && progress.Step > last.Step)
            {
                _metrics.StepTook(current.Spec.Kind, (now - last.Time) / (progress.Step - last.Step));
            }

            cell.LastStep = (now, progress.Step);
            if (now - cell.LastPersisted >= _options.ProgressPersistInterval)
            {
                cell.LastPersisted = now;
                try
                {
                    _repository.Update(next);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Losing a progress write only costs a stale display after a crash; training goes on.
                    Log.ProgressNotPersisted(_logger, jobId, ex);
                }
            }
        }
    }

    public void Succeed(string jobId, JobResult result)
    {
        var cell = Live(jobId);
        lock (cell.Transition)
        {
            End(cell, JobState.Succeeded, j => j.Result = result.Clone());
        }

        Log.JobSucceeded(_logger, jobId, result.OutputPath);
    }

    public void Fail(string jobId, string error, Exception? exception)
    {
        var cell = Live(jobId);
        lock (cell.Transition)
        {
            End(cell, JobState.Failed, j => j.Error = error);
        }

        Log.JobFailed(_logger, jobId, error, exception);
    }

    /// <summary>The runner stopped because of a cancel request.</summary>
    public void MarkCancelled(string jobId)
    {
        var cell = Live(jobId);
        lock (cell.Transition)
        {
            End(cell, JobState.Cancelled, j => { });
        }

        Log.JobCancelled(_logger, jobId, "running");
    }

    /// <summary>The runner stopped because this process is shutting down: the job stays RUNNING and resumes on the next start.</summary>
    public void Interrupt(string jobId)
    {
        var cell = Live(jobId);
        lock (cell.Transition)
        {
            var job = cell.Current;
            _repository.Update(job);
            Log.JobInterrupted(_logger, jobId, job.Progress?.Step ?? 0);
        }
    }

    /// <summary>Checkpoints and outputs of one job; the same directory after a restart.</summary>
    public string WorkDirectory(string jobId) => Path.GetFullPath(Path.Combine(_options.DataDirectory, "jobs", jobId));

    /// <summary>True when the job database answers.</summary>
    public bool Ping() => _repository.Ping();

    private void Recover()
    {
        var now = Timestamp.FromDateTimeOffset(_time.GetUtcNow());
        foreach (var job in _repository.ListInStates(JobState.Queued, JobState.Running, JobState.Cancelling))
        {
            switch (job.State)
            {
                case JobState.Cancelling:
                    // Asked to stop, and it did stop (with the previous process).
                    job.State = JobState.Cancelled;
                    job.EndTime = now;
                    _repository.Update(job);
                    continue;
                case JobState.Running:
                    job.State = JobState.Queued;
                    _repository.Update(job);
                    Log.JobRequeued(_logger, job.Id, job.Progress?.CheckpointStep ?? 0);
                    break;
            }

            _live[job.Id] = new JobCell(job);
            _queue.Enqueue(job.Id);
        }

        _metrics.SetJobCounts(_repository.CountByState());
    }

    private Job Move(JobCell cell, JobState state, Action<Job> change)
    {
        var current = cell.Current;
        var next = current.Clone();
        next.State = state;
        change(next);
        _repository.Update(next);
        cell.Set(next);
        _metrics.JobMoved(current.State, state);
        return next;
    }

    private Job End(JobCell cell, JobState state, Action<Job> change)
    {
        var next = Move(cell, state, j =>
        {
            j.EndTime = Timestamp.FromDateTimeOffset(_time.GetUtcNow());
            change(j);
        });
        _live.TryRemove(next.Id, out _);
        _metrics.JobFinished(next.Spec.Kind, state);
        return next;
    }

    private JobCell Live(string jobId) =>
        _live.TryGetValue(jobId, out var cell) ? cell : throw new InvalidOperationException($"job {jobId} is not live");

    private static void CheckId(string jobId)
    {
        if (string.IsNullOrEmpty(jobId))
        {
            throw new InvalidInputException("job_id is required", "job_id");
        }
    }
}
