using S3Router.Api.V1;

namespace S3Router.TrainingService.Jobs;

/// <summary>
/// The live state of one job that has not ended. Holds only the latest <see cref="Job"/> snapshot: a watcher that is
/// slower than the job skips intermediate states instead of buffering them. Snapshots are never mutated after
/// <see cref="Set"/>; a change replaces the snapshot with a modified clone.
/// </summary>
internal sealed class JobCell(Job initial)
{
    private readonly Lock _gate = new();
    private Job _current = initial;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Serializes state transitions of this job (cancel vs. start vs. finish).</summary>
    public Lock Transition { get; } = new();

    /// <summary>Cancelled when someone asks this job to stop.</summary>
    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>When progress was last written to the database, for throttling.</summary>
    public DateTimeOffset LastPersisted { get; set; }

    /// <summary>Time and step of the previous progress report, for the step-time metric.</summary>
    public (DateTimeOffset Time, long Step)? LastStep { get; set; }

    public Job Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>The current snapshot and a task that completes on the next change after it.</summary>
    public (Job Job, Task Changed) Snapshot()
    {
        lock (_gate)
        {
            return (_current, _changed.Task);
        }
    }

    public void Set(Job job)
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            _current = job;
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }
}
