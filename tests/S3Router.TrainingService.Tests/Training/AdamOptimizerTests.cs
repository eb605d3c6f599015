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

    [Fact]
    public void Load_ThenStepWithoutGradient_MovesTheParameterAsTheSavingOptimizerDoes()
    {
        // Arrange: two steps with a gradient, a checkpoint, then a step in which the parameter gets no gradient (its
        // layer skipped by LayerDrop): the saving optimizer still moves it from its moments.
        using var original = new Parameter(tensor(new[] { 1f, -2f, 3f }));
        using var saving = new AdamOptimizer([("w", original)]);
        for (var i = 0; i < 2; i++)
        {
            saving.ZeroGrad();
            using var loss = (original * original).sum();
            loss.backward();
            saving.Step(lr: 0.1);
        }

        var writer = new S3Router.Core.Safetensors.SafetensorsWriter();
        var steps = new Dictionary<string, long>();
        saving.Save(writer, steps);
        using var file = S3Router.Core.Safetensors.SafetensorsFile.FromBytes(writer.ToArray());
        using var restored = new Parameter(zeros(3));
        using var loading = new AdamOptimizer([("w", restored)]);

        // Act
        loading.Load(file, steps);
        foreach (var optimizer in new[] { saving, loading })
        {
            optimizer.ZeroGrad();
            optimizer.Step(lr: 0.1);
        }

        // Assert
        Assert.NotEqual(new[] { 1f, -2f, 3f }, original.data<float>().ToArray());
        Assert.Equal(original.data<float>().ToArray(), restored.data<float>().ToArray());
    }
}
