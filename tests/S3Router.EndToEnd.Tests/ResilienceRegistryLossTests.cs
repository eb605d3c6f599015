using S3Router.Testing.Resilience;

namespace S3Router.EndToEnd.Tests;

/// <summary>Registry loss with real processes: the registry dies under load and comes back; the inference process's watch resumes.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ResilienceRegistryLossTests
{
    [Fact]
    public async Task Recognize_RegistryKilledThenRestartedAndAliasMoved_NoCallFailsAndTheNewVersionIsServed()
    {
        // Arrange / Act
        var result = await RegistryLossScenario.RunAsync(ResilienceScale.Test, ResilienceOutput.Log, TestContext.Current.CancellationToken);

        // Assert
        ResilienceOutput.Write(result.Load);
        var calls = result.Load.Whole;
        // 5 rps for about 20 s; a loaded machine slows the generator, but the outage must have seen real traffic.
        Assert.True(calls.Count >= 50, $"only {calls.Count} calls were made");
        Assert.Equal(0, calls.NotOk);
        Assert.Equal(2, result.Published.Version);
        Assert.Equal(result.Published.Version, result.ServedVersion);
        Assert.True(result.WatchEventsAfter > result.WatchEventsBefore, "no WatchMasks event arrived after the registry came back");
    }
}
