using S3Router.Api.V1;
using S3Router.Testing;
using S3Router.TrainingService.Tests.Jobs.TestSupport;

namespace S3Router.TrainingService.Tests.Jobs;

/// <summary>Jobs that publish their bundle to a real mask registry on loopback.</summary>
public sealed class PublishFunctionalTests : IDisposable
{
    private readonly TestData _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task PublishingJob_Succeeds_VersionResolvesByAliasWithTheRequestedKeepRatio()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var registry = await RegistryTestHost.StartAsync(Path.Combine(_data.Root, "registry"));
        var registryClient = new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(registry.Channel);
        await registryClient.RegisterBackboneAsync(new RegisterBackboneRequest
        {
            Digest = "sha256:" + _data.BackboneDigest,
            Name = "tiny",
            ConfigJson = "{\"hidden_size\": 8}",
            Tensors = { new TensorShape { Name = TestData.FfnName, Dims = { TestData.FfnShape } } },
        }, cancellationToken: ct);
        await using var host = await TrainingHost.StartAsync(_data.DataDirectory, new FakeJobRunner { TotalSteps = 3 });
        var spec = _data.Spec();
        spec.Publish = new PublishSpec { Publish = true, SetAlias = "canary", RegistryAddress = registry.Address };

        var job = await host.SubmitAsync(spec);
        var final = (await host.WatchAsync(job.Id))[^1];
        var resolved = (await registryClient.ResolveMaskAsync(new ResolveMaskRequest { Task = "asr", LanguageCode = "en", Ref = "canary" }, cancellationToken: ct)).Version;

        Assert.Equal(JobState.Succeeded, final.State);
        Assert.Equal(1, final.Result.Published.Version);
        Assert.Equal(final.Result.BundleDigest, final.Result.Published.Digest);
        Assert.Equal(final.Result.BundleDigest, resolved.Digest);
        Assert.Equal(1, resolved.Version);
        Assert.Equal(0.875, Assert.Single(resolved.MaskedTensors).KeepRatio);
        Assert.Equal(job.Id, resolved.Lineage.JobId);
        Assert.Equal(job.Id, resolved.Labels["job_id"]);
    }

    [Fact]
    public async Task PublishingJob_RegistryUnreachable_FailsSayingHowToPublishByHand()
    {
        await using var host = await TrainingHost.StartAsync(_data.DataDirectory, new FakeJobRunner { TotalSteps = 1 });
        var spec = _data.Spec();
        var address = $"http://127.0.0.1:{LoopbackPort.Free()}";
        spec.Publish = new PublishSpec { Publish = true, SetAlias = "canary", RegistryAddress = address };

        var job = await host.SubmitAsync(spec);
        var final = (await host.WatchAsync(job.Id))[^1];

        Assert.Equal(JobState.Failed, final.State);
        var bundle = Path.Combine(Path.GetFullPath(_data.DataDirectory), "jobs", job.Id, FakeJobRunner.BundleFile);
        Assert.True(File.Exists(bundle));
        Assert.Contains($"s3r masks publish {bundle} --task asr --language en --alias canary --registry {address}", final.Error);
        Assert.Contains("Unavailable", final.Error);
    }

    [Fact]
    public async Task PublishingJob_BackboneUnknownToTheRegistry_FailsWithTheRegistryReason()
    {
        await using var registry = await RegistryTestHost.StartAsync(Path.Combine(_data.Root, "registry"));
        await using var host = await TrainingHost.StartAsync(_data.DataDirectory, new FakeJobRunner { TotalSteps = 1 });
        var spec = _data.Spec();
        spec.Publish = new PublishSpec { Publish = true, RegistryAddress = registry.Address };

        var job = await host.SubmitAsync(spec);
        var final = (await host.WatchAsync(job.Id))[^1];

        Assert.Equal(JobState.Failed, final.State);
        Assert.Contains("s3r masks publish", final.Error);
        Assert.Contains(_data.BackboneDigest, final.Error);
    }
}
