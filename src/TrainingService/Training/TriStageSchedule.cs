namespace S3Router.TrainingService.Training;

/// <summary>
/// fairseq's tri_stage learning rate: linear warmup from init_lr_scale × peak to peak, hold at peak, then exponential
/// decay to final_lr_scale × peak, which it keeps afterwards. Stage lengths are fractions of the total steps.
/// Reference: fairseq/optim/lr_scheduler/tri_stage_lr_scheduler.py.
/// </summary>
internal sealed class TriStageSchedule
{
    public const double InitialScale = 0.01;
    public const double FinalScale = 0.05;

    private readonly double _peak;
    private readonly long _warmupSteps;
    private readonly long _holdSteps;
    private readonly long _decaySteps;

    public TriStageSchedule(double peak, long totalSteps, double warmupFraction, double holdFraction, double decayFraction)
    {
        _peak = peak;
        _warmupSteps = (long)(totalSteps * warmupFraction);
        _holdSteps = (long)(totalSteps * holdFraction);
        _decaySteps = (long)(totalSteps * decayFraction);
    }

    /// <summary>Learning rate for the update numbered <paramref name="step"/> (0-based).</summary>
    public double At(long step)
    {
        if (step < _warmupSteps)
        {
            return _peak * (InitialScale + ((1 - InitialScale) * step / _warmupSteps));
        }

        step -= _warmupSteps;
        if (step < _holdSteps)
        {
            return _peak;
        }

        step -= _holdSteps;
        if (step <= _decaySteps && _decaySteps > 0)
        {
            return _peak * Math.Exp(Math.Log(FinalScale) * step / _decaySteps);
        }

        return _peak * FinalScale;
    }
}
