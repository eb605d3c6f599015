using S3Router.TrainingService.Training.Data;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Training.Data;

public sealed class FrozenFeaturesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3r-frozen-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Batch_AfterCompute_EqualsTheBackboneRunOnEachUtteranceAlone()
    {
        // Arrange: utterances of different lengths, batched together by the cache and alone by the reference.
        using var backbone = FeatureTestData.Backbone();
        var dataset = FeatureTestData.Dataset(_root, 4_000, 9_600, 6_400);
        var progress = new List<(int Done, int Total)>();

        // Act
        var features = FrozenFeatures.Compute(backbone, dataset, maxTokens: 20_000, half: false, (done, total) => progress.Add((done, total)));
        using var scope = NewDisposeScope();
        var (hidden, frames) = features.Batch([2, 0, 1], cropFrames: null, cropSeed: 0);

        // Assert
        Assert.Equal((3, 3), progress[^1]);
        int[] order = [2, 0, 1];
        for (var b = 0; b < order.Length; b++)
        {
            var alone = backbone.ExtractFeatures(dataset.LoadAudio(order[b]));
            Assert.Equal(alone.GetLength(0), frames[b].item<long>());
            for (var t = 0; t < alone.GetLength(0); t++)
            {
                for (var d = 0; d < alone.GetLength(1); d++)
                {
                    Assert.Equal(alone[t, d], hidden[b, t, d].item<float>(), 1e-4f);
                }
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SingleBytes_BeforeCompute_PredictsTheBytesTheFeaturesTake(bool half)
    {
        // Arrange: what the budget check (and the over-budget warning's sizes) rests on.
        using var backbone = FeatureTestData.Backbone();
        var dataset = FeatureTestData.Dataset(_root, 4_000, 9_600, 6_400);

        // Act
        var predicted = FrozenFeatures.SingleBytes(backbone, dataset);
        var features = FrozenFeatures.Compute(backbone, dataset, maxTokens: 20_000, half, (_, _) => { });

        // Assert
        Assert.Equal(half ? predicted / 2 : predicted, features.Bytes);
        Assert.False(FrozenFeatures.HalfPrecision(backbone, dataset, predicted));
        Assert.True(FrozenFeatures.HalfPrecision(backbone, dataset, predicted - 1));
        Assert.Null(FrozenFeatures.HalfPrecision(backbone, dataset, (predicted / 2) - 1));
    }

    [Fact]
    public void Batch_WithCrop_CutsLongItemsToAContiguousWindowOfTheirFeatures()
    {
        // Arrange
        using var backbone = FeatureTestData.Backbone();
        var dataset = FeatureTestData.Dataset(_root, 9_600, 1_600);
        var features = FrozenFeatures.Compute(backbone, dataset, maxTokens: 20_000, half: false, (_, _) => { });
        using var scope = NewDisposeScope();
        var (full, _) = features.Batch([0], cropFrames: null, cropSeed: 0);

        // Act
        var (cropped, frames) = features.Batch([0, 1], cropFrames: 10, cropSeed: 5);

        // Assert: the long item is cut to 10 frames found somewhere in its full features; the short one is whole.
        Assert.Equal([10L, backbone.OutputFrames(1_600)], frames.data<long>().ToArray());
        var window = cropped[0, TensorIndex.Slice(0, 10)];
        var matches = Enumerable.Range(0, (int)full.shape[1] - 9)
            .Count(offset => full[0, TensorIndex.Slice(offset, offset + 10)].allclose(window));
        Assert.Equal(1, matches);
    }

    [Fact]
    public void HalfPrecision_Budget_Float32WhenTheyFitThenFloat16ThenNone()
    {
        // Arrange
        using var backbone = FeatureTestData.Backbone();
        var dataset = FeatureTestData.Dataset(_root, 4_000, 6_400);
        var values = dataset.Items.Sum(i => backbone.OutputFrames(i.Samples)) * backbone.OutputWidth;

        // Act + Assert: float32 takes 4 bytes per value, float16 2.
        Assert.False(FrozenFeatures.HalfPrecision(backbone, dataset, budgetBytes: 4 * values));
        Assert.True(FrozenFeatures.HalfPrecision(backbone, dataset, budgetBytes: 3 * values));
        Assert.True(FrozenFeatures.HalfPrecision(backbone, dataset, budgetBytes: 2 * values));
        Assert.Null(FrozenFeatures.HalfPrecision(backbone, dataset, budgetBytes: values));
    }

    [Fact]
    public void Compute_Half_CachesHalfPrecisionWithinRounding()
    {
        // Arrange
        using var backbone = FeatureTestData.Backbone();
        var dataset = FeatureTestData.Dataset(_root, 4_000, 6_400);
        var single = FrozenFeatures.Compute(backbone, dataset, maxTokens: 20_000, half: false, (_, _) => { });

        // Act
        var half = FrozenFeatures.Compute(backbone, dataset, maxTokens: 20_000, half: true, (_, _) => { });
        using var scope = NewDisposeScope();
        var (hidden, frames) = half.Batch([1], cropFrames: null, cropSeed: 0);

        // Assert: float16 keeps 11 significant bits, a relative rounding of at most 2^-11, of the float32 features of
        // the same batches (which equal the backbone's on each utterance alone within float32 rounding: the first test).
        Assert.True(half.IsHalfPrecision);
        var (reference, referenceFrames) = single.Batch([1], cropFrames: null, cropSeed: 0);
        Assert.Equal(referenceFrames[0].item<long>(), frames[0].item<long>());
        var expected = reference[0].contiguous().data<float>().ToArray();
        var cached = hidden[0].contiguous().data<float>().ToArray();
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(cached[i] - expected[i]) <= (MathF.Abs(expected[i]) / 2048f) + 1e-7f, $"value {i}: {cached[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Compute_NotHalf_KeepsFloat32()
    {
        // Arrange
        using var backbone = FeatureTestData.Backbone();
        var dataset = FeatureTestData.Dataset(_root, 4_000);

        // Act
        var features = FrozenFeatures.Compute(backbone, dataset, maxTokens: 20_000, half: false, (_, _) => { });

        // Assert
        Assert.False(features.IsHalfPrecision);
        Assert.Equal(backbone.OutputFrames(4_000) * backbone.OutputWidth * sizeof(float), features.Bytes);
    }
}
