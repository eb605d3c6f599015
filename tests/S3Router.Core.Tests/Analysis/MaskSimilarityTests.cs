using S3Router.Core.Analysis;
using S3Router.Core.Errors;
using S3Router.Core.Masks;

namespace S3Router.Core.Tests.Analysis;

public sealed class MaskSimilarityTests
{
    private const string Fc1 = "encoder.layers.{0}.feed_forward.intermediate_dense.weight";
    private const string Fc2 = "encoder.layers.{0}.feed_forward.output_dense.weight";
    private static readonly string Backbone = new('b', 64);

    [Fact]
    public void Of_HandComputedMasks_GivesJaccardAndHamming()
    {
        var a = Mask("t", [10], [1, 1, 0, 0, 1, 0, 0, 0, 0, 1]);
        var b = Mask("t", [10], [1, 0, 1, 0, 1, 0, 0, 0, 0, 0]);

        var overlap = MaskOverlap.Of(a, b);

        Assert.Equal(new MaskOverlap(2, 5, 10), overlap);
        Assert.Equal(3, overlap.Differing);
        Assert.Equal(0.4, overlap.Jaccard, 12);
        Assert.Equal(0.7, overlap.Hamming, 12);
    }

    [Fact]
    public void Of_BothMasksKeepNothing_JaccardAndHammingAreOne()
    {
        var a = Mask("t", [3], [0, 0, 0]);

        var overlap = MaskOverlap.Of(a, a);

        Assert.Equal(1.0, overlap.Jaccard);
        Assert.Equal(1.0, overlap.Hamming);
    }

    [Fact]
    public void Of_ComplementaryMasks_AreZero()
    {
        var a = Mask("t", [2, 4], [1, 0, 1, 0, 1, 0, 1, 0]);
        var b = Mask("t", [2, 4], [0, 1, 0, 1, 0, 1, 0, 1]);

        var overlap = MaskOverlap.Of(a, b);

        Assert.Equal(0.0, overlap.Jaccard);
        Assert.Equal(0.0, overlap.Hamming);
    }

    [Fact]
    public void Of_DifferentShapes_ThrowsFailedPrecondition()
    {
        var a = Mask("t", [2, 4], new int[8]);
        var b = Mask("t", [4, 2], new int[8]);

        var error = Assert.Throws<FailedPreconditionException>(() => MaskOverlap.Of(a, b));

        Assert.Contains("different shapes", error.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(4099)]
    public void Of_RandomMasks_MatchesNaiveCount(int elements)
    {
        var random = new Random(elements);
        var (x, y) = (RandomBits(random, elements, 0.9), RandomBits(random, elements, 0.7));

        var overlap = MaskOverlap.Of(MaskTensor.FromBits("t", [elements], x), MaskTensor.FromBits("t", [elements], y));

        var (intersection, union, differing) = Naive(x, y);
        Assert.Equal(intersection, overlap.Intersection);
        Assert.Equal(union, overlap.Union);
        Assert.Equal(differing, overlap.Differing);
        Assert.Equal(elements, overlap.ElementCount);
    }

    [Fact]
    public void Compute_RandomBundles_SymmetricWithOnesOnDiagonal()
    {
        var random = new Random(7);
        var bundles = Enumerable.Range(0, 4).Select(_ => RandomBundle(random, layers: 3, 0.9)).ToList();

        var result = MaskSimilarity.Compute(["a", "b", "c", "d"], bundles, TestContext.Current.CancellationToken);

        foreach (var scope in result.Layers.Concat(result.Tensors).Append(result.Overall))
        {
            foreach (var matrix in new[] { scope.Jaccard, scope.Hamming })
            {
                for (var i = 0; i < 4; i++)
                {
                    Assert.Equal(1.0, matrix[i, i]);
                    for (var j = 0; j < 4; j++)
                    {
                        Assert.Equal(matrix[i, j], matrix[j, i]);
                        Assert.InRange(matrix[i, j], 0.0, 1.0);
                    }
                }
            }
        }
        Assert.Equal(["layer.0", "layer.1", "layer.2"], result.Layers.Select(l => l.Name));
        Assert.Equal(6, result.Tensors.Count);
        Assert.Empty(result.SkippedTensors);
    }

    [Fact]
    public void Compute_RandomBundles_MatchesNaiveSumsPerLayerAndOverall()
    {
        var random = new Random(11);
        var bundles = new[] { RandomBundle(random, 2, 0.9), RandomBundle(random, 2, 0.6), RandomBundle(random, 2, 0.3) };

        var result = MaskSimilarity.Compute(["a", "b", "c"], bundles, TestContext.Current.CancellationToken);

        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                var all = (I: 0L, U: 0L, D: 0L, N: 0L);
                for (var layer = 0; layer < 2; layer++)
                {
                    var inLayer = (I: 0L, U: 0L, D: 0L, N: 0L);
                    foreach (var name in new[] { string.Format(Fc1, layer), string.Format(Fc2, layer) })
                    {
                        var x = bundles[i].Masks.Single(m => m.Name == name).Unpack();
                        var y = bundles[j].Masks.Single(m => m.Name == name).Unpack();
                        var (ni, nu, nd) = Naive(x, y);
                        inLayer = (inLayer.I + ni, inLayer.U + nu, inLayer.D + nd, inLayer.N + x.Length);
                    }
                    Assert.Equal((double)inLayer.I / inLayer.U, result.Layers[layer].Jaccard[i, j], 12);
                    Assert.Equal(1.0 - (double)inLayer.D / inLayer.N, result.Layers[layer].Hamming[i, j], 12);
                    all = (all.I + inLayer.I, all.U + inLayer.U, all.D + inLayer.D, all.N + inLayer.N);
                }
                Assert.Equal((double)all.I / all.U, result.Overall.Jaccard[i, j], 12);
                Assert.Equal(1.0 - (double)all.D / all.N, result.Overall.Hamming[i, j], 12);
            }
        }
    }

    [Fact]
    public void Compute_IndependentRandomMasks_JaccardNearExpectation()
    {
        var random = new Random(3);
        var dense = new[] { RandomBundle(random, 1, 0.95), RandomBundle(random, 1, 0.95) };
        var sparse = new[] { RandomBundle(random, 1, 0.3), RandomBundle(random, 1, 0.3) };

        var denseJaccard = MaskSimilarity.Compute(["a", "b"], dense, TestContext.Current.CancellationToken).Overall.Jaccard[0, 1];
        var sparseJaccard = MaskSimilarity.Compute(["a", "b"], sparse, TestContext.Current.CancellationToken).Overall.Jaccard[0, 1];

        // Independent masks keeping p: expected Jaccard p² / (2p - p²) = p / (2 - p); 1776 elements, so within ±0.04 (3 sd).
        Assert.InRange(denseJaccard, 0.95 / 1.05 - 0.04, 0.95 / 1.05 + 0.04);
        Assert.InRange(sparseJaccard, 0.3 / 1.7 - 0.04, 0.3 / 1.7 + 0.04);
    }

    [Fact]
    public void Compute_TensorMaskedBySomeRoutes_ReportedAndComparedWhereShared()
    {
        var both = Mask(string.Format(Fc1, 0), [8], [1, 1, 1, 1, 0, 0, 0, 0]);
        var onlyA = Mask(string.Format(Fc1, 1), [8], [1, 1, 1, 1, 1, 1, 1, 1]);
        var a = Bundle([both, onlyA]);
        var b = Bundle([Mask(string.Format(Fc1, 0), [8], [1, 1, 0, 0, 1, 1, 0, 0])]);

        var result = MaskSimilarity.Compute(["a", "b"], [a, b], TestContext.Current.CancellationToken);

        var skipped = Assert.Single(result.SkippedTensors);
        Assert.Equal(string.Format(Fc1, 1), skipped.Name);
        Assert.Equal([0], skipped.MaskedBy);
        Assert.Equal(2.0 / 6, result.Overall.Jaccard[0, 1], 12);
        Assert.Equal(0.5, result.Overall.Hamming[0, 1], 12);
        Assert.True(double.IsNaN(result.Layers[1].Jaccard[0, 1]));
        Assert.True(double.IsNaN(result.Layers[1].Jaccard[1, 1]));
        Assert.Equal(1.0, result.Layers[1].Jaccard[0, 0]);
    }

    [Fact]
    public void Compute_PrefixedAndBareNames_AreTheSameTensor()
    {
        var a = Bundle([Mask("wav2vec2." + string.Format(Fc1, 0), [4], [1, 1, 0, 0])]);
        var b = Bundle([Mask(string.Format(Fc1, 0), [4], [1, 0, 0, 0])]);

        var result = MaskSimilarity.Compute(["a", "b"], [a, b], TestContext.Current.CancellationToken);

        Assert.Empty(result.SkippedTensors);
        Assert.Equal(0.5, result.Overall.Jaccard[0, 1]);
        Assert.Equal(string.Format(Fc1, 0), Assert.Single(result.Tensors).Name);
        Assert.Equal(0, result.Tensors[0].Layer);
    }

    [Fact]
    public void Compute_DifferentBackbones_ThrowsFailedPrecondition()
    {
        var a = Bundle([Mask(string.Format(Fc1, 0), [4], [1, 1, 0, 0])]);
        var b = Bundle([Mask(string.Format(Fc1, 0), [4], [1, 1, 0, 0])], backbone: new string('c', 64));

        var error = Assert.Throws<FailedPreconditionException>(() => MaskSimilarity.Compute(["a", "b"], [a, b], TestContext.Current.CancellationToken));

        Assert.Contains("one backbone", error.Message);
    }

    [Fact]
    public void Compute_LabelCountMismatch_ThrowsInvalidInput()
    {
        var a = Bundle([Mask(string.Format(Fc1, 0), [4], [1, 1, 0, 0])]);

        Assert.Throws<InvalidInputException>(() => MaskSimilarity.Compute(["a", "b"], [a], TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("encoder.layers.11.feed_forward.output_dense.weight", 11)]
    [InlineData("wav2vec2.encoder.layers.0.attention.q_proj.weight", 0)]
    [InlineData("encoder.pos_conv_embed.conv.weight", null)]
    [InlineData("encoder.layers.x.fc1", null)]
    public void LayerOf_ParameterName_ParsesTransformerLayer(string name, int? expected)
    {
        Assert.Equal(expected, MaskSimilarity.LayerOf(name));
    }

    private static MaskTensor Mask(string name, long[] shape, int[] bits) =>
        MaskTensor.FromBits(name, shape, bits.Select(b => b != 0).ToArray());

    private static bool[] RandomBits(Random random, int count, double keep) =>
        Enumerable.Range(0, count).Select(_ => random.NextDouble() < keep).ToArray();

    private static (long Intersection, long Union, long Differing) Naive(bool[] x, bool[] y)
    {
        long intersection = 0, union = 0, differing = 0;
        for (var k = 0; k < x.Length; k++)
        {
            intersection += x[k] && y[k] ? 1 : 0;
            union += x[k] || y[k] ? 1 : 0;
            differing += x[k] != y[k] ? 1 : 0;
        }

        return (intersection, union, differing);
    }

    private static MaskBundle RandomBundle(Random random, int layers, double keep)
    {
        var masks = new List<MaskTensor>();
        for (var layer = 0; layer < layers; layer++)
        {
            masks.Add(MaskTensor.FromBits(string.Format(Fc1, layer), [37, 24], RandomBits(random, 37 * 24, keep)));
            masks.Add(MaskTensor.FromBits(string.Format(Fc2, layer), [24, 37], RandomBits(random, 24 * 37, keep)));
        }

        return Bundle(masks);
    }

    private static MaskBundle Bundle(IReadOnlyList<MaskTensor> masks, string? backbone = null) => new()
    {
        Task = "asr",
        Language = "en",
        BackboneDigest = backbone ?? Backbone,
        HeadKind = MaskHeadKind.Ctc,
        Labels = ["<pad>", "a"],
        Masks = masks,
        Heads = [new HeadTensor("head.weight", [2, 4], new float[8])],
    };
}
