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

    [Theory]
    [InlineData(0.98)]
    [InlineData(0.999)]
    public void Step_TwoStepsWithBeta2_MatchesAdamsFormula(double beta2)
    {
        // Arrange: gradients 1 then 3 of w (loss g · w); the second step's size depends on β2 through the
        // bias-corrected second moment.
        using var w = new Parameter(tensor(new[] { 0f }));
        using var optimizer = new AdamOptimizer([("w", w)], beta2: beta2);
        var expected = 0.0;
        double m = 0, v = 0;
        for (var step = 1; step <= 2; step++)
        {
            var g = step == 1 ? 1.0 : 3.0;
            optimizer.ZeroGrad();
            using (var loss = (w * (float)g).sum())
            {
                loss.backward();
            }

            // Act
            optimizer.Step(lr: 0.1);

            m = (0.9 * m) + (0.1 * g);
            v = (beta2 * v) + ((1 - beta2) * g * g);
            expected -= 0.1 * (m / (1 - Math.Pow(0.9, step))) / (Math.Sqrt(v / (1 - Math.Pow(beta2, step))) + 1e-8);
        }

        // Assert
        Assert.Equal(expected, w.data<float>()[0], 1e-5);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void Constructor_Beta2OutsideOpenUnitInterval_Throws(double beta2)
    {
        using var w = new Parameter(tensor(new[] { 0f }));

        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer([("w", w)], beta2: beta2));
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
