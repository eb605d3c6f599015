using S3Router.Api.V1;

namespace S3Router.TrainingService.Training;

/// <summary>
/// Passes a job's progress on and remembers the last step's, so reports of work between steps (a
/// <see cref="JobPhase"/>) carry that step's loss, learning rate, checkpoint and eval metrics instead of zeros.
/// </summary>
internal sealed class ProgressRelay(Action<JobProgress> report, long totalSteps)
{
    private JobProgress _last = new() { TotalSteps = totalSteps };

    /// <summary>A job resumed at <paramref name="step"/>: phases before its first new step report that step.</summary>
    public void Resumed(long step) => _last = new JobProgress { Step = step, TotalSteps = _last.TotalSteps, CheckpointStep = step };

    /// <summary>Reports a step's progress (no phase).</summary>
    public void Step(JobProgress progress)
    {
        _last = progress;
        report(progress);
    }

    /// <summary>A callback for (done, total) of <paramref name="phase"/>, reported at the last step.</summary>
    public Action<int, int> Phase(string phase) => (done, total) =>
    {
        var progress = _last.Clone();
        progress.Phase = phase;
        progress.PhaseDone = done;
        progress.PhaseTotal = total;
        report(progress);
    };
}
