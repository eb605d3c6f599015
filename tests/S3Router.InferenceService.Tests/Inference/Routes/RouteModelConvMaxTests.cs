using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Tests.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Inference.Routes;

/// <summary>Loading conv_max bundles (<c>head.layer_logits</c>): accepted when they fit, refused by tensor name when not.</summary>
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

    private static MaskBundle Bundle(Dictionary<string, long[]> shapes, TokenDroppingSettings? dropping) => new()
    {
        Task = "intent",
        Language = "en",
        BackboneDigest = BackboneHex,
        HeadKind = MaskHeadKind.Classifier,
        Labels = [.. TestBundles.Speakers],
        Masks = [],
        Heads = [.. shapes.Select(s => new HeadTensor(s.Key, s.Value, new float[s.Value.Aggregate(1L, (a, b) => a * b)]))],
        TokenDropping = dropping,
    };
}
