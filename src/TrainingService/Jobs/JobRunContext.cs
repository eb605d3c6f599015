using S3Router.Api.V1;

namespace S3Router.TrainingService.Jobs;

/// <summary>Where a job works and whom it tells about its progress.</summary>
/// <param name="JobId">The job's id, recorded in the bundle's lineage.</param>
/// <param name="WorkDirectory">Checkpoints and outputs; kept across restarts so a job can resume.</param>
/// <param name="ReportProgress">Called after every step (cheap) and after every evaluation.</param>
public sealed record JobRunContext(string JobId, string WorkDirectory, Action<JobProgress> ReportProgress);
