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
        var head = new ClassifierHead(Identity, new float[3], [10, 0, 0], 0, Classes, 3);

        var pooled = head.Pool(Hidden);
        var top = head.Classify(Hidden, top: 10);

        Assert.Equal(4.0, pooled[0], 5);
        Assert.Equal(0.0, pooled[1], 5);
        Assert.Equal("alice", top[0].ClassName);
        Assert.Equal(3, top.Count);
        Assert.Equal(1.0, top.Sum(c => c.Score), 5);
    }
}
