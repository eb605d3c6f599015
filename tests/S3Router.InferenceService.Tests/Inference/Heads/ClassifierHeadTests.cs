using S3Router.InferenceService.Inference.Heads;

namespace S3Router.InferenceService.Tests.Inference.Heads;

public sealed class ClassifierHeadTests
{
    private static readonly string[] Classes = ["alice", "bob", "carol"];

    // hidden 3, W = identity: logits = pooled vector.
    private static readonly float[] Identity = [1, 0, 0, 0, 1, 0, 0, 0, 1];

    private static readonly float[,] Hidden = { { 4, 0, 0 }, { 0, 2, 0 }, { 0, 2, 0 }, { 0, 2, 0 } };

    [Fact]
    public void Pool_MeanPooling_AveragesFrames()
    {
        var head = new ClassifierHead(Identity, new float[3], null, 0, Classes, 3);

        var pooled = head.Pool(Hidden);

        Assert.Equal([1.0, 1.5, 0.0], pooled);
    }

    [Fact]
    public void Classify_MeanPooling_SoftmaxTopKHighestFirst()
    {
        var head = new ClassifierHead(Identity, new float[3], null, 0, Classes, 3);

        var top = head.Classify(Hidden, top: 2);

        // softmax([1, 1.5, 0])
        var z = Math.Exp(1) + Math.Exp(1.5) + 1;
        Assert.Equal(["bob", "alice"], top.Select(c => c.ClassName));
        Assert.Equal(Math.Exp(1.5) / z, top[0].Score, 5);
        Assert.Equal(Math.Exp(1) / z, top[1].Score, 5);
    }

    [Fact]
    public void Classify_AttentivePooling_AttendsToTheScoredFrame()
    {
        // Attention w = [10, 0, 0] scores frame 0 (h = [4,0,0]) at 40 and the others at 0: pooled ≈ frame 0.
        var head = new ClassifierHead(Identity, new float[3], new float[] { 10, 0, 0 }, 0, Classes, 3);

        var pooled = head.Pool(Hidden);
        var top = head.Classify(Hidden, top: 10);

        Assert.Equal(4.0, pooled[0], 5);
        Assert.Equal(0.0, pooled[1], 5);
        Assert.Equal("alice", top[0].ClassName);
        Assert.Equal(3, top.Count);
        Assert.Equal(1.0, top.Sum(c => c.Score), 5);
    }

    [Fact]
    public void Pool_StatisticsPooling_MeanThenPopulationStdPerColumn()
    {
        // W = 2: column 0 = 1, 3 (mean 2, std 1); column 1 = 5, 5 (mean 5, std 0).
        var head = ClassifierHead.Statistics(new float[4 * 3], new float[3], new float[4], new float[] { 1, 1, 1, 1 }, Classes, width: 2);
        float[,] x = { { 1, 5 }, { 3, 5 } };

        var pooled = head.Pool(x);

        Assert.True(head.PoolsStatistics);
        Assert.Equal([2.0, 5.0, 1.0, 0.0], pooled);
    }

    [Fact]
    public void Pool_StatisticsPoolingOneFrame_StdIsZero()
    {
        var head = ClassifierHead.Statistics(new float[4 * 3], new float[3], new float[4], new float[] { 1, 1, 1, 1 }, Classes, width: 2);

        var pooled = head.Pool(new float[,] { { 7, -2 } });

        Assert.Equal([7.0, -2.0, 0.0, 0.0], pooled);
    }

    [Fact]
    public void Classify_StatisticsPooling_NormalisesThenProjects()
    {
        // f = [2, 5, 1, 0]; z = (f - [1, 5, 0, -1]) / [0.5, 1, 2, 4] = [2, 0, 0.5, 0.25].
        // logits: alice = z0 = 2; bob = z2 + 1 = 1.5; carol = 4 · z3 = 1.
        float[] weight =
        [
            1, 0, 0, 0,
            0, 0, 1, 0,
            0, 0, 0, 4,
        ];
        var head = ClassifierHead.Statistics(weight, new float[] { 0, 1, 0 }, new float[] { 1, 5, 0, -1 }, new float[] { 0.5f, 1, 2, 4 }, Classes, width: 2);
        float[,] x = { { 1, 5 }, { 3, 5 } };

        var top = head.Classify(x, top: 3);

        var z = Math.Exp(2) + Math.Exp(1.5) + Math.Exp(1);
        Assert.Equal(["alice", "bob", "carol"], top.Select(c => c.ClassName));
        Assert.Equal(Math.Exp(2) / z, top[0].Score, 5);
        Assert.Equal(Math.Exp(1.5) / z, top[1].Score, 5);
        Assert.Equal(Math.Exp(1) / z, top[2].Score, 5);
    }

    [Theory]
    [InlineData(6, 4, 1f, "head.norm.mean")]
    [InlineData(4, 6, 1f, "head.norm.std")]
    [InlineData(4, 4, 0f, "head.norm.std[3]")]
    [InlineData(4, 4, -1f, "head.norm.std[3]")]
    public void Statistics_WrongSizeOrStdNotPositive_FailedPreconditionNamingTheTensor(int meanLength, int stdLength, float lastStd, string named)
    {
        var std = Enumerable.Repeat(1f, stdLength).ToArray();
        std[^1] = lastStd;

        var error = Assert.Throws<S3Router.Core.Errors.FailedPreconditionException>(
            () => ClassifierHead.Statistics(new float[4 * 3], new float[3], new float[meanLength], std, Classes, width: 2));

        Assert.Contains(named, error.Message);
    }
}
