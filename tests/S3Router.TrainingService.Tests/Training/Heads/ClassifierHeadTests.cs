using S3Router.TrainingService.Training.Heads;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training.Heads;

public sealed class ClassifierHeadTests
{
    [Fact]
    public void FitStandardization_StatsPooling_StoresMeanAndStdOfThePooledVectors()
    {
        // Arrange: utterance A has frames (0,0), (2,2): mean 1, std 1. Utterance B has one valid frame (4,4) and a padded
        // one: mean 4, std 0 (floored at 1e-5). Pooled vectors [mean | std]: A = (1,1,1,1), B = (4,4,0,0).
        using var head = new ClassifierHead(width: 2, classes: 3, ClassifierPooling.Stats);
        using var features = tensor(new float[] { 0, 0, 2, 2, 4, 4, 9, 9 }, [2, 2, 2]);
        using var lengths = tensor(new long[] { 2, 1 });

        // Act
        head.FitStandardization([(features, lengths)]);

        // Assert
        var tensors = head.Export().ToDictionary(t => t.Name, t => t.Values.ToArray());
        Assert.Equal(["head.norm.mean", "head.norm.std", "head.proj.bias", "head.proj.weight"], tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([2.5f, 2.5f, 0.5f, 0.5f], tensors["head.norm.mean"], new ToleranceComparer(1e-4f));
        Assert.Equal([1.5f, 1.5f, 0.5f, 0.5f], tensors["head.norm.std"], new ToleranceComparer(1e-4f));
        Assert.Equal(3 * 4, tensors["head.proj.weight"].Length);
    }

    [Fact]
    public void Forward_StatsPooling_ComputesProjOfTheStandardizedMeanAndStd()
    {
        // Arrange
        manual_seed(1);
        using var head = new ClassifierHead(width: 2, classes: 3, ClassifierPooling.Stats);
        using var fit = tensor(new float[] { 0, 1, 2, 5, 4, 4, 9, 3 }, [2, 2, 2]);
        head.FitStandardization([(fit, null)]);
        head.eval();
        using var frames = tensor(new float[] { 1, 0, 3, 6, 5, 3 }, [1, 3, 2]); // mean (3, 3), population std (1.633, 2.449)
        var t = head.Export().ToDictionary(x => x.Name, x => x.Values.ToArray());
        float[] pooled = [3f, 3f, MathF.Sqrt(8f / 3f), MathF.Sqrt(6f)];

        // Act
        using var logits = head.call(frames, null);

        // Assert
        var actual = logits.data<float>().ToArray();
        for (var c = 0; c < 3; c++)
        {
            var expected = t["head.proj.bias"][c];
            for (var i = 0; i < 4; i++)
            {
                expected += t["head.proj.weight"][(c * 4) + i] * (pooled[i] - t["head.norm.mean"][i]) / t["head.norm.std"][i];
            }

            Assert.Equal(expected, actual[c], 1e-4f);
        }
    }

    [Fact]
    public void FitStandardization_MeanPooling_Throws()
    {
        // Arrange
        using var head = new ClassifierHead(width: 2, classes: 3, ClassifierPooling.Mean);
        using var features = zeros(1, 2, 2);

        // Act + Assert
        Assert.Throws<InvalidOperationException>(() => head.FitStandardization([(features, null)]));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => MathF.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
