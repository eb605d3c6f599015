using S3Router.Testing.Resilience;

namespace S3Router.EndToEnd.Tests;

/// <summary>Slow pod with real processes: a delay proxy slows the route's owner; hedging moves the calls to the fast pods.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ResilienceSlowPodTests
{
    [Fact]
    public async Task Recognize_OwnerPodSlowedByProxyWithHedging_NoCallFailsAndTheFastPodsServeTheCalls()
    {
        // Arrange / Act
        var result = await SlowPodScenario.RunAsync(ResilienceScale.Test, ResilienceOutput.Log, TestContext.Current.CancellationToken);

        // Assert
        ResilienceOutput.Write(result.Load);
        var calls = result.Load.Whole;
        var during = result.Load.During;
        Assert.True(calls.Count >= 100, $"only {calls.Count} calls were made");
        Assert.Equal(0, calls.NotOk);
        Assert.True(result.FastRunsDuring >= 0.8 * during.Count,
            $"the fast pods ran {result.FastRunsDuring} asr calls of the {during.Count} made while the owner was slow");
        Assert.True(result.Hedges > 0, "the gateway sent no hedged call");
    }
}
