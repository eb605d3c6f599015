using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;
using S3Router.TrainingService.Tests.Jobs.TestSupport;
using S3Router.TrainingService.Tests.Training;

namespace S3Router.TrainingService.Tests.Jobs;

/// <summary>The service with the real TorchSharp engine on the tiny backbone, publishing to a real registry.</summary>
public sealed class RealEngineFunctionalTests : IDisposable
{
    private readonly TrainingTestData _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task MaskJob_SubmittedAndPublished_ResolvesWithTheRequestedKeepRatioPerTensor()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var registry = await RegistryTestHost.StartAsync(Path.Combine(_data.Root, "registry"));
        var registryClient = new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(registry.Channel);
        await registryClient.RegisterBackboneAsync(Backbone(), cancellationToken: ct);
        await using var host = await TrainingHost.StartAsync(Path.Combine(_data.Root, "service"), runner: null);
        var spec = _data.AsrSpec(JobKind.Mask, _data.CreateSpokenWords(), steps: 4, lr: 1e-2);
        spec.Mask = new MaskSpec { PruneRate = 0.9 };
        spec.Publish = new PublishSpec { Publish = true, SetAlias = "canary", RegistryAddress = registry.Address };

        var job = await host.SubmitAsync(spec);
        var final = (await host.WatchAsync(job.Id))[^1];
        var resolved = (await registryClient.ResolveMaskAsync(new ResolveMaskRequest { Task = "asr", LanguageCode = "en", Ref = "canary" }, cancellationToken: ct)).Version;

        Assert.True(final.State == JobState.Succeeded, final.Error);
        Assert.Equal(4, final.Progress.Step);
        Assert.Equal(final.Result.BundleDigest, resolved.Digest);
        Assert.Equal(final.Result.Published.Version, resolved.Version);
        Assert.Equal(job.Id, resolved.Lineage.JobId);
        var bundle = MaskBundle.Read(final.Result.OutputPath);
        Assert.Equal(4, resolved.MaskedTensors.Count); // 2 layers x (fc1, fc2)
        Assert.All(bundle.Masks, m => Assert.InRange(m.KeepRatio, 0.9 - (1.0 / m.ElementCount), 0.9 + (1.0 / m.ElementCount)));
    }

    private RegisterBackboneRequest Backbone()
    {
        var weights = Path.Combine(_data.BackboneDir, "model.safetensors");
        using var file = SafetensorsFile.Open(weights);
        return new RegisterBackboneRequest
        {
            Digest = "sha256:" + Sha256Digest.OfFile(weights),
            Name = "tiny",
            ConfigJson = File.ReadAllText(Path.Combine(_data.BackboneDir, "config.json")),
            Tensors = { file.Tensors.Values.Select(t => new TensorShape { Name = t.Name, Dims = { t.Shape } }) },
        };
    }
}
