using S3Router.TrainingService.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training;

public sealed class AdamOptimizerTests
{
    [Fact]
    public void Step_WeightDecayForOneName_ScalesOnlyThatParameterByOneMinusLrTimesDecay()
    {
        // Arrange: zero gradients, so Adam's own update is zero and only the decoupled decay moves a parameter.
        using var decayed = new Parameter(full(3, 2f));
        using var kept = new Parameter(full(3, 2f));
        using var optimizer = new AdamOptimizer([("head.w", decayed), ("backbone.w", kept)], name => name == "head.w" ? 0.5 : 0);
        using (var loss = (decayed * 0).sum() + (kept * 0).sum())
        {
            loss.backward();
        }

        // Act
        optimizer.Step(lr: 0.1);

        // Assert: 2 · (1 − 0.1 · 0.5) = 1.9; the other parameter keeps 2.
        Assert.All(decayed.data<float>().ToArray(), v => Assert.Equal(1.9f, v, 1e-6f));
        Assert.All(kept.data<float>().ToArray(), v => Assert.Equal(2f, v));
    }
}
