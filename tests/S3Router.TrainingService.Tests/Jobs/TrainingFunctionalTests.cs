using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using S3Router.Api.V1;
using S3Router.TrainingService.Tests.Jobs.TestSupport;

namespace S3Router.TrainingService.Tests.Jobs;

/// <summary>The training service on loopback Kestrel, called through a real GrpcChannel, with a fake engine.</summary>
public sealed class TrainingFunctionalTests : IDisposable
{
    private readonly TestData _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task SubmitThenWatch_FakeRunner_StreamsProgressToSucceeded()
    {
        var runner = new FakeJobRunner { TotalSteps = 5 };
        await using var host = await TrainingHost.StartAsync(_data.DataDirectory, runner);

        var job = await host.SubmitAsync(_data.Spec());
        var seen = await host.WatchAsync(job.Id);
        var stored = (await host.Client.GetJobAsync(new GetJobRequest { JobId = job.Id }, cancellationToken: TestContext.Current.CancellationToken)).Job;

        var last = seen[^1];
        Assert.Equal(JobState.Succeeded, last.State);
        Assert.Equal(5, last.Progress.Step);
        Assert.Equal(0.1, last.Progress.EvalMetrics["valid_cer"], 1e-9);
        Assert.Equal(0.125, last.Result.Metrics["test_cer"]);
        Assert.True(File.Exists(last.Result.OutputPath));
        Assert.StartsWith(Path.Combine(Path.GetFullPath(_data.DataDirectory), "jobs", job.Id), last.Result.OutputPath, StringComparison.Ordinal);
        Assert.Equal(seen.Select(j => j.Progress.Step).Order(), seen.Select(j => j.Progress.Step));
        Assert.All(seen[..^1], j => Assert.True(j.State is JobState.Queued or JobState.Running));
        Assert.Equal(last, stored);
        Assert.NotNull(stored.StartTime);
        Assert.NotNull(stored.EndTime);
    }

    [Fact]
    public async Task CancelJob_RunningJob_StopsWithinOneStep()
    {
        using var gate = new SemaphoreSlim(0);
        var runner = new FakeJobRunner { TotalSteps = 100, StepGate = gate };
        await using var host = await TrainingHost.StartAsync(_data.DataDirectory, runner);
        var job = await host.SubmitAsync(_data.Spec());
        gate.Release(2);
        await host.WatchAsync(job.Id, j => j.Progress.Step == 2);

        var reply = await host.Client.CancelJobAsync(new CancelJobRequest { JobId = job.Id }, cancellationToken: TestContext.Current.CancellationToken);
        var seen = await host.WatchAsync(job.Id);

        Assert.Equal(JobState.Cancelling, reply.Job.State);
        Assert.Equal(JobState.Cancelled, seen[^1].State);
        Assert.InRange(runner.CompletedSteps, 2, 3);
        Assert.InRange(seen[^1].Progress.Step, 2, 3);
    }

    [Fact]
    public async Task CancelJob_QueuedBehindAnotherJob_CancelledAtOnceAndNeverRun()
    {
        using var gate = new SemaphoreSlim(0);
        var runner = new FakeJobRunner { TotalSteps = 1, StepGate = gate };
        await using var host = await TrainingHost.StartAsync(_data.DataDirectory, runner);
        var first = await host.SubmitAsync(_data.Spec());
        var second = await host.SubmitAsync(_data.Spec());

        var reply = await host.Client.CancelJobAsync(new CancelJobRequest { JobId = second.Id }, cancellationToken: TestContext.Current.CancellationToken);
        gate.Release();
        var firstSeen = await host.WatchAsync(first.Id);

        Assert.Equal(JobState.Cancelled, reply.Job.State);
        Assert.Equal(JobState.Succeeded, firstSeen[^1].State);
        Assert.Equal([first.Id], runner.Calls.Select(c => c.JobId));
    }

    [Fact]
    public async Task Restart_HostStoppedMidJob_NewHostResumesFromTheCheckpoint()
    {
        using var gate = new SemaphoreSlim(0);
        var before = new FakeJobRunner { TotalSteps = 5, StepGate = gate };
        string jobId;
        await using (var host = await TrainingHost.StartAsync(_data.DataDirectory, before))
        {
            jobId = (await host.SubmitAsync(_data.Spec())).Id;
            gate.Release(2);
            await host.WatchAsync(jobId, j => j.Progress.Step == 2);
        }

        var after = new FakeJobRunner { TotalSteps = 5 };
        await using var restarted = await TrainingHost.StartAsync(_data.DataDirectory, after);
        var seen = await restarted.WatchAsync(jobId);

        var firstRun = Assert.Single(before.Calls);
        var secondRun = Assert.Single(after.Calls);
        Assert.Equal(0, firstRun.ResumedFromStep);
        Assert.Equal(2, secondRun.ResumedFromStep);
        Assert.Equal(firstRun.WorkDirectory, secondRun.WorkDirectory);
        Assert.Equal(3, after.CompletedSteps);
        Assert.Equal(JobState.Succeeded, seen[^1].State);
        Assert.Equal(5, seen[^1].Progress.Step);
    }

    [Fact]
    public async Task RunnerThrows_JobFailedWithTheReason()
    {
        var runner = new FakeJobRunner { TotalSteps = 2, FailWith = new InvalidDataException("train.tsv line 3: no sample count") };
        await using var host = await TrainingHost.StartAsync(_data.DataDirectory, runner);

        var job = await host.SubmitAsync(_data.Spec());
        var seen = await host.WatchAsync(job.Id);

        Assert.Equal(JobState.Failed, seen[^1].State);
        Assert.Contains("train.tsv line 3: no sample count", seen[^1].Error);
    }

    [Fact]
    public async Task SubmitJob_InvalidSpecOverTheWire_InvalidArgumentWithBadRequest()
    {
        await using var host = await TrainingHost.StartAsync(_data.DataDirectory, new FakeJobRunner());
        var spec = _data.Spec();
        spec.Mask.PruneRate = 2;

        var error = await Assert.ThrowsAsync<RpcException>(() => host.SubmitAsync(spec));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("spec.mask.prune_rate", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task Health_StoreOpen_ReadyAndMetricsCountJobs()
    {
        await using var host = await TrainingHost.StartAsync(_data.DataDirectory, new FakeJobRunner { TotalSteps = 1 });
        var job = await host.SubmitAsync(_data.Spec());
        await host.WatchAsync(job.Id);
        using var http = new HttpClient();

        var ready = await new Health.HealthClient(host.Channel).CheckAsync(new HealthCheckRequest { Service = "ready" }, cancellationToken: TestContext.Current.CancellationToken);
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{host.MetricsPort}/metrics", TestContext.Current.CancellationToken);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, ready.Status);
        Assert.Contains("s3router_training_jobs{state=\"succeeded\"}", metrics);
        Assert.Contains("s3router_training_jobs_finished_total{kind=\"mask\",state=\"succeeded\"}", metrics);
    }
}
