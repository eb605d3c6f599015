using Grpc.Core;
using S3Router.Testing.Resilience;

namespace S3Router.EndToEnd.Tests;

/// <summary>Overload with real processes: 3 × measured capacity, then a third of it again.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ResilienceOverloadTests
{
    [Fact]
    public async Task Recognize_ThreeTimesCapacity_ResourceExhaustedNeverInternalMemoryBoundedAndAllSucceedAfter()
    {
        // Arrange / Act
        var result = await OverloadScenario.RunAsync(ResilienceScale.Test, ResilienceOutput.Log, TestContext.Current.CancellationToken);

        // Assert
        ResilienceOutput.Write(result.Load);
        Assert.All(result.Load.Whole.Counts, c => Assert.True(c.Key is StatusCode.OK or StatusCode.ResourceExhausted, $"{c.Value} x {c.Key}"));
        Assert.True(result.Load.During.CountOf(StatusCode.ResourceExhausted) > 0, "3 × capacity was never refused");
        Assert.True(result.Load.During.Ok > 0, "nothing was served under overload");
        // Recovery: back at a third of capacity the pod serves again. A neighbour's CPU burst on a shared machine can
        // still fill the 8-deep queue for a moment, so a refusal or two (never an error) is tolerated.
        Assert.True(result.Load.After.Ok > 0, "nothing was served after the load dropped");
        Assert.True(result.Load.After.NotOk <= Math.Max(1, result.Load.After.Count / 50), $"after the load dropped: {result.Load.After}");
        // Loose on purpose: a queue without bound would grow by far more than the heap's normal breathing.
        Assert.True(result.InferenceRssPeak < (2 * result.InferenceRssBefore) + (256L << 20),
            $"inference RSS grew from {result.InferenceRssBefore} to {result.InferenceRssPeak} bytes");
    }
}
