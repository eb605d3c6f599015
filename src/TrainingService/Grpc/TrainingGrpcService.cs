using Grpc.Core;
using S3Router.Api.V1;
using S3Router.TrainingService.Jobs;

namespace S3Router.TrainingService.Grpc;

/// <summary>The <c>s3router.v1.Training</c> API over the <see cref="JobManager"/>. Errors are typed exceptions mapped by the Core interceptor.</summary>
internal sealed class TrainingGrpcService(JobManager jobs) : S3Router.Api.V1.Training.TrainingBase
{
    public override Task<SubmitJobResponse> SubmitJob(SubmitJobRequest request, ServerCallContext context) =>
        Task.FromResult(new SubmitJobResponse { Job = jobs.Submit(request.Spec, request.RequestId) });

    public override Task<GetJobResponse> GetJob(GetJobRequest request, ServerCallContext context) =>
        Task.FromResult(new GetJobResponse { Job = jobs.Get(request.JobId) });

    public override Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        var (page, next) = jobs.List(request.State, request.PageSize, request.PageToken);
        return Task.FromResult(new ListJobsResponse { Jobs = { page }, NextPageToken = next });
    }

    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<WatchJobResponse> responseStream, ServerCallContext context)
    {
        await foreach (var job in jobs.WatchAsync(request.JobId, context.CancellationToken))
        {
            await responseStream.WriteAsync(new WatchJobResponse { Job = job }, context.CancellationToken);
        }
    }

    public override Task<CancelJobResponse> CancelJob(CancelJobRequest request, ServerCallContext context) =>
        Task.FromResult(new CancelJobResponse { Job = jobs.Cancel(request.JobId) });
}
