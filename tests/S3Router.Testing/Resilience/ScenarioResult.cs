using S3Router.Testing.Load;

namespace S3Router.Testing.Resilience;

/// <summary>
/// The load of one scenario run and when its fault began and ended, so the calls can be split into the phases
/// before, during and after the fault.
/// </summary>
/// <param name="Name">Short name of the scenario, e.g. "pod loss".</param>
/// <param name="Load">The load held, in words.</param>
/// <param name="Fault">The fault injected, in words.</param>
/// <param name="Whole">Every call of the run.</param>
/// <param name="FaultAt">When the fault began, from the start of the load.</param>
/// <param name="RecoveredAt">When the fault was over (the process back, the delay removed, the load lowered).</param>
public sealed record ScenarioResult(string Name, string Load, string Fault, LoadReport Whole, TimeSpan FaultAt, TimeSpan RecoveredAt)
{
    /// <summary>Observations beside the load (counters read, memory), one line each.</summary>
    public List<string> Notes { get; } = [];

    public LoadReport Before => Whole.Window(TimeSpan.Zero, FaultAt);

    public LoadReport During => Whole.Window(FaultAt, RecoveredAt);

    public LoadReport After => Whole.Window(RecoveredAt, Whole.Duration);
}
