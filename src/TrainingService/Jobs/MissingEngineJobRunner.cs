using S3Router.Api.V1;
using S3Router.Core.Errors;

namespace S3Router.TrainingService.Jobs;

/// <summary>Stands in for the TorchSharp engine until it is part of this build: every job fails with a clear reason.</summary>
internal sealed class MissingEngineJobRunner : IJobRunner
{
    public Task<JobResult> RunAsync(JobSpec spec, JobRunContext context, CancellationToken cancellationToken) =>
        throw new FailedPreconditionException("this build of the training service has no training engine (IJobRunner)");
}
