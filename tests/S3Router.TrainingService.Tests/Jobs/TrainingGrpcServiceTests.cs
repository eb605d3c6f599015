using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.TrainingService.Grpc;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Telemetry;
using S3Router.TrainingService.Tests.Jobs.TestSupport;

namespace S3Router.TrainingService.Tests.Jobs;

/// <summary>The Training handlers called directly, over a real SQLite job store and no worker (jobs stay where the test puts them).</summary>
public sealed class TrainingGrpcServiceTests : IDisposable
{
    private readonly TestData _data = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private readonly JobRepository _repository;
    private readonly JobManager _manager;
    private readonly TrainingGrpcService _service;

    public TrainingGrpcServiceTests()
    {
        _repository = new JobRepository(Path.Combine(_data.DataDirectory, "jobs.db"));
        _manager = NewManager();
        _service = new TrainingGrpcService(_manager);
    }

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task SubmitJob_EmptySpec_InvalidArgumentListingEveryRequiredField()
    {
        var error = await FailsAsync(() => _service.SubmitJob(new SubmitJobRequest { Spec = new JobSpec() }, TestServerCallContext.Create()));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(
            ["spec.backbone_path", "spec.dataset.manifest_dir", "spec.kind", "spec.language_code", "spec.task"],
            Violations(error).Select(v => v.Field).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SubmitJob_NoSpec_InvalidArgumentOnSpec()
    {
        var error = await FailsAsync(() => _service.SubmitJob(new SubmitJobRequest(), TestServerCallContext.Create()));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("spec", Assert.Single(Violations(error)).Field);
    }

    [Theory]
    [InlineData("task", "spec.task")]
    [InlineData("language", "spec.language_code")]
    [InlineData("prune_rate_high", "spec.mask.prune_rate")]
    [InlineData("prune_rate_nan", "spec.mask.prune_rate")]
    [InlineData("init_score", "spec.mask.init_score")]
    [InlineData("pooling", "spec.head.pooling")]
    [InlineData("conv_kernel_even", "spec.head.conv_kernel")]
    [InlineData("conv_kernel_negative", "spec.head.conv_kernel")]
    [InlineData("conv_width_negative", "spec.head.conv_width")]
    [InlineData("conv_width_with_stats", "spec.head.conv_width")]
    [InlineData("ensemble_size_large", "spec.head.ensemble_size")]
    [InlineData("ensemble_size_with_mean", "spec.head.ensemble_size")]
    [InlineData("head_weight_decay", "spec.optimization.head_weight_decay")]
    [InlineData("adam_beta2", "spec.optimization.adam_beta2")]
    [InlineData("time_mask_prob", "spec.optimization.time_mask_prob")]
    [InlineData("time_mask_prob_head", "spec.optimization.time_mask_prob")]
    [InlineData("fractions", "spec.optimization.warmup_fraction")]
    [InlineData("max_steps", "spec.optimization.max_steps")]
    [InlineData("alias_without_publish", "spec.publish.set_alias")]
    [InlineData("alias_version", "spec.publish.set_alias")]
    [InlineData("registry", "spec.publish.registry_address")]
    [InlineData("publish_weights", "spec.publish.publish")]
    [InlineData("split", "spec.dataset.train_split")]
    [InlineData("label_extension", "spec.dataset.label_extension")]
    [InlineData("prune_without_model", "spec.finetuned_model_path")]
    public async Task SubmitJob_OneBadField_InvalidArgumentNamingThatField(string change, string field)
    {
        var spec = _data.Spec();
        switch (change)
        {
            case "task": spec.Task = "ASR!"; break;
            case "language": spec.LanguageCode = "English"; break;
            case "prune_rate_high": spec.Mask.PruneRate = 1.5; break;
            case "prune_rate_nan": spec.Mask.PruneRate = double.NaN; break;
            case "init_score": spec.Mask.InitScore = "random"; break;
            case "pooling": spec.Head = new HeadSpec { Pooling = "max" }; break;
            case "conv_kernel_even": spec.Head = new HeadSpec { Pooling = "conv_max", ConvKernel = 4 }; break;
            case "conv_kernel_negative": spec.Head = new HeadSpec { Pooling = "conv_max", ConvKernel = -5 }; break;
            case "conv_width_negative": spec.Head = new HeadSpec { Pooling = "conv_max", ConvWidth = -1 }; break;
            case "conv_width_with_stats": spec.Head = new HeadSpec { Pooling = "stats", ConvWidth = 64 }; break;
            case "ensemble_size_large": spec.Head = new HeadSpec { Pooling = "conv_max", EnsembleSize = 17 }; break;
            case "ensemble_size_with_mean": spec.Head = new HeadSpec { Pooling = "mean", EnsembleSize = 2 }; break;
            case "head_weight_decay": spec.Optimization.HeadWeightDecay = 1.5; break;
            case "adam_beta2": spec.Optimization.AdamBeta2 = 1.0; break;
            case "time_mask_prob": spec.Optimization.TimeMaskProb = 1.0; break;
            case "time_mask_prob_head": spec.Kind = JobKind.Head; spec.Optimization.TimeMaskProb = 0.05; break;
            case "fractions": spec.Optimization.WarmupFraction = 0.5; spec.Optimization.HoldFraction = 0.6; break;
            case "max_steps": spec.Optimization.MaxSteps = -1; break;
            case "alias_without_publish": spec.Publish = new PublishSpec { SetAlias = "canary" }; break;
            case "alias_version": spec.Publish = new PublishSpec { Publish = true, SetAlias = "v3" }; break;
            case "registry": spec.Publish = new PublishSpec { Publish = true, RegistryAddress = "localhost:50053" }; break;
            case "publish_weights": spec.Kind = JobKind.Weights; spec.Publish = new PublishSpec { Publish = true }; break;
            case "split": spec.Dataset.TrainSplit = "../train"; break;
            case "label_extension": spec.Dataset.LabelExtension = "txt"; break;
            case "prune_without_model": spec.Kind = JobKind.Prune; break;
        }

        var error = await FailsAsync(() => _service.SubmitJob(new SubmitJobRequest { Spec = spec }, TestServerCallContext.Create()));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, Assert.Single(Violations(error)).Field);
    }

    [Fact]
    public async Task SubmitJob_BackboneWithoutWeights_ViolationNamesTheMissingFile()
    {
        File.Delete(Path.Combine(_data.BackbonePath, "model.safetensors"));

        var error = await FailsAsync(() => _service.SubmitJob(new SubmitJobRequest { Spec = _data.Spec() }, TestServerCallContext.Create()));

        var violation = Assert.Single(Violations(error));
        Assert.Equal("spec.backbone_path", violation.Field);
        Assert.Contains("model.safetensors", violation.Description);
    }

    [Fact]
    public async Task SubmitJob_DatasetMissingTestLabels_ViolationNamesTheMissingFile()
    {
        File.Delete(Path.Combine(_data.DatasetPath, "test.ltr"));

        var error = await FailsAsync(() => _service.SubmitJob(new SubmitJobRequest { Spec = _data.Spec() }, TestServerCallContext.Create()));

        var violation = Assert.Single(Violations(error));
        Assert.Equal("spec.dataset.manifest_dir", violation.Field);
        Assert.Contains("test.ltr", violation.Description);
    }

    [Fact]
    public async Task SubmitJob_ClassifierTaskWithLetterLabelsOnly_NeedsLabelFiles()
    {
        var spec = _data.Spec();
        spec.Task = "speaker";
        spec.LanguageCode = "und";

        var error = await FailsAsync(() => _service.SubmitJob(new SubmitJobRequest { Spec = spec }, TestServerCallContext.Create()));

        Assert.Contains("train.label", Assert.Single(Violations(error)).Description);
    }

    [Fact]
    public async Task SubmitJob_Valid_QueuedWithIdAndCreateTime()
    {
        var reply = await _service.SubmitJob(new SubmitJobRequest { Spec = _data.Spec() }, TestServerCallContext.Create());

        Assert.Equal(JobState.Queued, reply.Job.State);
        Assert.Equal(32, reply.Job.Id.Length);
        Assert.Equal(_time.GetUtcNow(), reply.Job.CreateTime.ToDateTimeOffset());
        Assert.Equal(5, reply.Job.Progress.TotalSteps);
        Assert.Equal(reply.Job, (await _service.GetJob(new GetJobRequest { JobId = reply.Job.Id }, TestServerCallContext.Create())).Job);
    }

    [Fact]
    public async Task SubmitJob_SameRequestIdTwice_ReturnsTheFirstJob()
    {
        var first = await _service.SubmitJob(new SubmitJobRequest { Spec = _data.Spec(), RequestId = "r-1" }, TestServerCallContext.Create());
        var spec = _data.Spec();
        spec.Seed = 42;

        var second = await _service.SubmitJob(new SubmitJobRequest { Spec = spec, RequestId = "r-1" }, TestServerCallContext.Create());
        var all = await _service.ListJobs(new ListJobsRequest(), TestServerCallContext.Create());

        Assert.Equal(first.Job.Id, second.Job.Id);
        Assert.Equal(0, second.Job.Spec.Seed);
        Assert.Single(all.Jobs);
    }

    [Theory]
    [InlineData("", StatusCode.InvalidArgument)]
    [InlineData("0123456789abcdef0123456789abcdef", StatusCode.NotFound)]
    public async Task GetJob_MissingOrUnknownId_Fails(string id, StatusCode expected)
    {
        var error = await FailsAsync(() => _service.GetJob(new GetJobRequest { JobId = id }, TestServerCallContext.Create()));

        Assert.Equal(expected, error.StatusCode);
    }

    [Fact]
    public async Task CancelJob_UnknownId_NotFound()
    {
        var error = await FailsAsync(() => _service.CancelJob(new CancelJobRequest { JobId = "nope" }, TestServerCallContext.Create()));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task CancelJob_Queued_CancelledAtOnceAndNeverStarted()
    {
        var job = await SubmitAsync();
        _time.Advance(TimeSpan.FromSeconds(3));

        var reply = await _service.CancelJob(new CancelJobRequest { JobId = job.Id }, TestServerCallContext.Create());

        Assert.Equal(JobState.Cancelled, reply.Job.State);
        Assert.Equal(_time.GetUtcNow(), reply.Job.EndTime.ToDateTimeOffset());
        Assert.Null(_manager.TryStart(job.Id));
        Assert.Equal(JobState.Cancelled, _repository.Get(job.Id)!.State);
    }

    [Fact]
    public async Task CancelJob_Running_CancellingUntilTheRunnerStopsThenCancelled()
    {
        var job = await SubmitAsync();
        var (_, token, _) = _manager.TryStart(job.Id)!.Value;

        var reply = await _service.CancelJob(new CancelJobRequest { JobId = job.Id }, TestServerCallContext.Create());
        var stored = _repository.Get(job.Id)!;
        _manager.MarkCancelled(job.Id);
        var after = await _service.GetJob(new GetJobRequest { JobId = job.Id }, TestServerCallContext.Create());

        Assert.Equal(JobState.Cancelling, reply.Job.State);
        Assert.Equal(JobState.Cancelling, stored.State);
        Assert.True(token.IsCancellationRequested);
        Assert.Equal(JobState.Cancelled, after.Job.State);
    }

    [Fact]
    public async Task CancelJob_Ended_NoOpReturnsTheJobUnchanged()
    {
        var job = await SubmitAsync();
        _manager.TryStart(job.Id);
        _manager.Succeed(job.Id, new JobResult { OutputPath = "/tmp/b.safetensors" });

        var reply = await _service.CancelJob(new CancelJobRequest { JobId = job.Id }, TestServerCallContext.Create());

        Assert.Equal(JobState.Succeeded, reply.Job.State);
        Assert.Equal("/tmp/b.safetensors", reply.Job.Result.OutputPath);
    }

    [Fact]
    public async Task ListJobs_Pages_NewestFirstAcrossPagesAndFilteredByState()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await SubmitAsync()).Id);
        }

        await _service.CancelJob(new CancelJobRequest { JobId = ids[1] }, TestServerCallContext.Create());
        await _service.CancelJob(new CancelJobRequest { JobId = ids[3] }, TestServerCallContext.Create());

        var page1 = await _service.ListJobs(new ListJobsRequest { PageSize = 2 }, TestServerCallContext.Create());
        var page2 = await _service.ListJobs(new ListJobsRequest { PageSize = 2, PageToken = page1.NextPageToken }, TestServerCallContext.Create());
        var page3 = await _service.ListJobs(new ListJobsRequest { PageSize = 2, PageToken = page2.NextPageToken }, TestServerCallContext.Create());
        var cancelled = await _service.ListJobs(new ListJobsRequest { State = JobState.Cancelled }, TestServerCallContext.Create());

        Assert.Equal(Enumerable.Reverse(ids), page1.Jobs.Concat(page2.Jobs).Concat(page3.Jobs).Select(j => j.Id));
        Assert.Equal("", page3.NextPageToken);
        Assert.Equal([ids[3], ids[1]], cancelled.Jobs.Select(j => j.Id));
    }

    [Theory]
    [InlineData(-1, "", "page_size")]
    [InlineData(10, "not-a-token", "page_token")]
    public async Task ListJobs_BadPaging_InvalidArgument(int pageSize, string token, string field)
    {
        var error = await FailsAsync(() => _service.ListJobs(new ListJobsRequest { PageSize = pageSize, PageToken = token }, TestServerCallContext.Create()));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, Assert.Single(Violations(error)).Field);
    }

    [Fact]
    public async Task WatchJob_UnknownId_NotFound()
    {
        var writer = new RecordingStreamWriter<WatchJobResponse>();

        var error = await FailsAsync(() => _service.WatchJob(new WatchJobRequest { JobId = "nope" }, writer, TestServerCallContext.Create()));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Empty(writer.Messages);
    }

    [Fact]
    public async Task WatchJob_EndedJob_SendsTheFinalStateOnceAndEnds()
    {
        var job = await SubmitAsync();
        await _service.CancelJob(new CancelJobRequest { JobId = job.Id }, TestServerCallContext.Create());
        var writer = new RecordingStreamWriter<WatchJobResponse>();

        await _service.WatchJob(new WatchJobRequest { JobId = job.Id }, writer, TestServerCallContext.Create());

        Assert.Equal(JobState.Cancelled, Assert.Single(writer.Messages).Job.State);
    }

    [Fact]
    public async Task WatchJob_SlowWatcher_SkipsToTheLatestStateInsteadOfBuffering()
    {
        var job = await SubmitAsync();
        _manager.TryStart(job.Id);
        await using var watch = _manager.WatchAsync(job.Id, TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        Assert.True(await watch.MoveNextAsync());
        var first = watch.Current;

        for (var step = 1; step <= 50; step++)
        {
            _manager.ReportProgress(job.Id, new JobProgress { Step = step, TotalSteps = 50 });
        }

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(JobState.Running, first.State);
        Assert.Equal(50, watch.Current.Progress.Step);
    }

    [Fact]
    public async Task ReportProgress_ManySteps_PersistedAtMostOncePerIntervalButLiveAlways()
    {
        var job = await SubmitAsync();
        _manager.TryStart(job.Id);

        _manager.ReportProgress(job.Id, new JobProgress { Step = 1 });
        _time.Advance(TimeSpan.FromSeconds(1));
        _manager.ReportProgress(job.Id, new JobProgress { Step = 2 });
        _manager.ReportProgress(job.Id, new JobProgress { Step = 3 });
        _time.Advance(TimeSpan.FromMilliseconds(999));
        _manager.ReportProgress(job.Id, new JobProgress { Step = 4 });
        var storedEarly = _repository.Get(job.Id)!.Progress.Step;
        _time.Advance(TimeSpan.FromMilliseconds(1));
        _manager.ReportProgress(job.Id, new JobProgress { Step = 5 });

        Assert.Equal(2, storedEarly);
        Assert.Equal(5, _repository.Get(job.Id)!.Progress.Step);
        Assert.Equal(5, _manager.Get(job.Id).Progress.Step);
    }

    [Fact]
    public async Task Restart_JobsLeftRunningOrCancelling_RequeuedOrCancelled()
    {
        var running = await SubmitAsync();
        var cancelling = await SubmitAsync();
        _manager.TryStart(running.Id);
        _manager.ReportProgress(running.Id, new JobProgress { Step = 3, CheckpointStep = 2 });
        _manager.Interrupt(running.Id);
        _manager.TryStart(cancelling.Id);
        _manager.Cancel(cancelling.Id);

        var restarted = NewManager();
        var resumed = restarted.TryStart(running.Id);

        Assert.NotNull(resumed);
        Assert.Equal(2, resumed.Value.Job.Progress.CheckpointStep);
        Assert.Equal(_manager.WorkDirectory(running.Id), resumed.Value.WorkDirectory);
        Assert.Equal(JobState.Cancelled, restarted.Get(cancelling.Id).State);
        Assert.Null(restarted.TryStart(cancelling.Id));
    }

    private JobManager NewManager() => new(_repository, new JobQueue(), new TrainingMetrics(), _time,
        Options.Create(new TrainingServiceOptions { DataDirectory = _data.DataDirectory }), NullLogger<JobManager>.Instance);

    private async Task<Job> SubmitAsync() =>
        (await _service.SubmitJob(new SubmitJobRequest { Spec = _data.Spec() }, TestServerCallContext.Create())).Job;

    private static async Task<RpcException> FailsAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception ex)
        {
            // What the Core interceptor does on the wire.
            return ex as RpcException ?? RpcExceptionMapper.ToRpcException(ex, callCancelled: false);
        }

        Assert.Fail("the call succeeded");
        return null!;
    }

    private static IReadOnlyList<BadRequest.Types.FieldViolation> Violations(RpcException error) =>
        error.GetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations ?? [];
}
