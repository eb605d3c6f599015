using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Tests.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Inference.Routes;

/// <summary>
/// Loading conv_max bundles (<c>head.layer_logits</c>, or <c>head.members.{k}.*</c> for an ensemble): accepted when
/// they fit, refused by tensor name when not.
/// </summary>
public sealed class RouteModelConvMaxTests
{
    private const int Channels = 6;
    private static readonly string BackboneHex = new('a', 64);

    [Fact]
    public void Create_FittingConvMaxBundle_AllStatesHeadOnTheStatesSessionKey()
    {
        // Arrange
        var backbone = Backbone();

        // Act
        var model = Load(Bundle(Shapes(backbone), dropping: null), backbone);

        // Assert
        Assert.True(model.NeedsHiddenStates);
        Assert.True(model.Classifier!.ReadsAllStates);
        Assert.False(model.Classifier.PoolsStatistics);
        Assert.Equal(RouteModel.BaseMaskKey + "+states", model.MaskKey);
    }

    [Theory]
    [InlineData("head.layer_logits")]
    [InlineData("head.norm.weight")]
    [InlineData("head.norm.bias")]
    [InlineData("head.conv.weight")]
    [InlineData("head.conv.bias")]
    public void Create_TensorOfAnotherBackboneShape_FailedPreconditionNamingTheTensor(string tensor)
    {
        // Arrange: one more element along the axis of H or L (C_out for the conv bias) than this backbone's head has.
        var backbone = Backbone();
        var shapes = Shapes(backbone);
        var axis = tensor == "head.conv.weight" ? 1 : 0;
        shapes[tensor][axis]++;

        // Act
        var error = Assert.Throws<FailedPreconditionException>(() => Load(Bundle(shapes, dropping: null), backbone));

        // Assert
        Assert.Contains(tensor + " must be", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_EvenKernel_FailedPreconditionNamingConvWeight()
    {
        // Arrange
        var backbone = Backbone();
        var shapes = Shapes(backbone);
        shapes["head.conv.weight"] = [Channels, backbone.Config.HiddenSize, 4];

        // Act
        var error = Assert.Throws<FailedPreconditionException>(() => Load(Bundle(shapes, dropping: null), backbone));

        // Assert
        Assert.Contains("head.conv.weight must be", error.Message, StringComparison.Ordinal);
        Assert.Contains("odd K", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MissingConvBias_FailedPreconditionNamingIt()
    {
        // Arrange
        var backbone = Backbone();
        var shapes = Shapes(backbone);
        shapes.Remove("head.conv.bias");

        // Act
        var error = Assert.Throws<FailedPreconditionException>(() => Load(Bundle(shapes, dropping: null), backbone));

        // Assert
        Assert.Contains("'head.conv.bias'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_ConvMaxBundleWithTokenDropping_FailedPrecondition()
    {
        // Arrange
        var backbone = Backbone();

        // Act
        var error = Assert.Throws<FailedPreconditionException>(
            () => Load(Bundle(Shapes(backbone), dropping: new TokenDroppingSettings()), backbone));

        // Assert
        Assert.Contains("conv_max head but its bundle drops tokens", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_EnsembleBundle_ClassifiesWithTheMeanOfItsMembersProbabilities()
    {
        // Arrange: three members with their own values; each alone is the single-head route of its tensors.
        var backbone = Backbone();
        var random = new Random(73);
        var members = Enumerable.Range(0, 3)
            .Select(_ => Shapes(backbone).ToDictionary(s => s.Key, s => (Shape: s.Value, Values: RandomValues(s.Value, random))))
            .ToList();
        var ensemble = Load(
            Bundle([.. members.SelectMany((m, k) => m.Select(t => new HeadTensor($"head.members.{k}." + t.Key["head.".Length..], t.Value.Shape, t.Value.Values)))]),
            backbone);
        var singles = members.Select(m => Load(Bundle([.. m.Select(t => new HeadTensor(t.Key, t.Value.Shape, t.Value.Values))]), backbone)).ToList();
        var states = new float[40, backbone.Config.AllStatesWidth];
        for (var t = 0; t < states.GetLength(0); t++)
        {
            for (var w = 0; w < states.GetLength(1); w++)
            {
                states[t, w] = (float)((2 * random.NextDouble()) - 1);
            }
        }

        // Act
        var answer = ensemble.Classifier!.Classify(states, top: TestBundles.Speakers.Count);

        // Assert: every class at the members' mean probability, ranked by it, and no member's answer alone.
        Assert.Equal(3, ensemble.Classifier.MemberCount);
        Assert.True(ensemble.NeedsHiddenStates);
        var byMember = singles.Select(s => s.Classifier!.Classify(states, top: TestBundles.Speakers.Count).ToDictionary(c => c.ClassName, c => (double)c.Score)).ToList();
        Assert.All(byMember, p => Assert.NotEqual(p[answer[0].ClassName], answer[0].Score, 3));
        foreach (var c in answer)
        {
            Assert.Equal(byMember.Average(p => p[c.ClassName]), c.Score, 5);
        }

        Assert.Equal(answer.OrderByDescending(c => c.Score).Select(c => c.ClassName), answer.Select(c => c.ClassName));
    }

    [Theory]
    [InlineData("head.members.1.conv.weight")]
    [InlineData("head.members.2.norm.bias")]
    public void Create_EnsembleMemberOfAnotherBackboneShape_FailedPreconditionNamingTheMemberTensor(string tensor)
    {
        // Arrange
        var backbone = Backbone();
        var shapes = EnsembleShapes(backbone, members: 3);
        shapes[tensor][tensor.EndsWith("conv.weight", StringComparison.Ordinal) ? 1 : 0]++;

        // Act
        var error = Assert.Throws<FailedPreconditionException>(() => Load(Bundle(shapes, dropping: null), backbone));

        // Assert
        Assert.Contains(tensor + " must be", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_EnsembleMemberWithoutProj_FailedPreconditionNamingIt()
    {
        // Arrange
        var backbone = Backbone();
        var shapes = EnsembleShapes(backbone, members: 3);
        shapes.Remove("head.members.2.proj.bias");

        // Act
        var error = Assert.Throws<FailedPreconditionException>(() => Load(Bundle(shapes, dropping: null), backbone));

        // Assert
        Assert.Contains("'head.members.2.proj.bias'", error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, long[]> EnsembleShapes(LoadedBackbone backbone, int members) =>
        Enumerable.Range(0, members)
            .SelectMany(k => Shapes(backbone).Select(s => (Name: $"head.members.{k}." + s.Key["head.".Length..], Shape: s.Value)))
            .ToDictionary(s => s.Name, s => s.Shape);

    private static float[] RandomValues(long[] shape, Random random) =>
        [.. Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)((2 * random.NextDouble()) - 1))];

    private static LoadedBackbone Backbone()
    {
        var config = TinyConfigs.ByStyle(false);
        return new LoadedBackbone(config, TestWeights.For(config, seed: 72), BackboneHex);
    }

    private static Dictionary<string, long[]> Shapes(LoadedBackbone backbone)
    {
        var (h, l) = (backbone.Config.HiddenSize, backbone.Config.NumHiddenLayers);
        var classes = TestBundles.Speakers.Count;
        return new Dictionary<string, long[]>
        {
            ["head.layer_logits"] = [l + 1],
            ["head.norm.weight"] = [h],
            ["head.norm.bias"] = [h],
            ["head.conv.weight"] = [Channels, h, 5],
            ["head.conv.bias"] = [Channels],
            ["head.proj.weight"] = [classes, Channels],
            ["head.proj.bias"] = [classes],
        };
    }

    private static RouteModel Load(MaskBundle bundle, LoadedBackbone backbone)
    {
        var bytes = bundle.ToBytes();
        var version = new MaskVersion { Task = "intent", LanguageCode = "en", Version = 1, Digest = "sha256:" + Sha256Digest.Of(bytes) };
        return RouteModel.Create(version, bytes, backbone);
    }

    private static MaskBundle Bundle(Dictionary<string, long[]> shapes, TokenDroppingSettings? dropping) =>
        Bundle([.. shapes.Select(s => new HeadTensor(s.Key, s.Value, new float[s.Value.Aggregate(1L, (a, b) => a * b)]))], dropping);

    private static MaskBundle Bundle(IReadOnlyList<HeadTensor> heads, TokenDroppingSettings? dropping = null) => new()
    {
        Task = "intent",
        Language = "en",
        BackboneDigest = BackboneHex,
        HeadKind = MaskHeadKind.Classifier,
        Labels = [.. TestBundles.Speakers],
        Masks = [],
        Heads = heads,
        TokenDropping = dropping,
    };
}
