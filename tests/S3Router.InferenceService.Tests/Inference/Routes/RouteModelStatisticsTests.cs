using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;
using S3Router.InferenceService.Tests.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Inference.Routes;

/// <summary>Loading statistics-pooling bundles (<c>head.norm.mean</c>): accepted when they fit, refused by name when not.</summary>
public sealed class RouteModelStatisticsTests
{
    private static readonly string BackboneHex = new('a', 64);

    [Fact]
    public void Create_FittingStatsBundle_StatisticsHeadOnItsOwnSessionKey()
    {
        var backbone = Backbone();
        var width = backbone.Config.AllStatesWidth;

        var model = Load(Bundle(2 * width, std: 1f, dropping: null), backbone);

        Assert.True(model.NeedsHiddenStates);
        Assert.True(model.Classifier!.PoolsStatistics);
        Assert.Equal(RouteModel.BaseMaskKey + "+states", model.MaskKey);
    }

    [Fact]
    public void Create_DOfAnotherBackbone_FailedPreconditionNamingTheTensorAndD()
    {
        var backbone = Backbone();
        var d = 2 * backbone.Config.AllStatesWidth;

        var error = Assert.Throws<FailedPreconditionException>(() => Load(Bundle(d - 2, std: 1f, dropping: null), backbone));

        Assert.Contains("head.norm.mean", error.Message);
        Assert.Contains($"{d}", error.Message);
    }

    [Fact]
    public void Create_StdNotPositive_FailedPreconditionNamingTheTensor()
    {
        var backbone = Backbone();

        var error = Assert.Throws<FailedPreconditionException>(
            () => Load(Bundle(2 * backbone.Config.AllStatesWidth, std: 0f, dropping: null), backbone));

        Assert.Contains("head.norm.std[", error.Message);
    }

    [Fact]
    public void Create_StatsBundleWithTokenDropping_FailedPrecondition()
    {
        var backbone = Backbone();

        var error = Assert.Throws<FailedPreconditionException>(
            () => Load(Bundle(2 * backbone.Config.AllStatesWidth, std: 1f, dropping: new TokenDroppingSettings()), backbone));

        Assert.Contains("token dropping removes frames between the conv features and the transformer", error.Message);
    }

    private static LoadedBackbone Backbone()
    {
        var config = TinyConfigs.ByStyle(false);
        return new LoadedBackbone(config, TestWeights.For(config, seed: 71), BackboneHex);
    }

    private static RouteModel Load(MaskBundle bundle, LoadedBackbone backbone)
    {
        var bytes = bundle.ToBytes();
        var version = new MaskVersion { Task = "speaker", LanguageCode = "", Version = 1, Digest = "sha256:" + Sha256Digest.Of(bytes) };
        return RouteModel.Create(version, bytes, backbone);
    }

    private static MaskBundle Bundle(int d, float std, TokenDroppingSettings? dropping)
    {
        var classes = TestBundles.Speakers.Count;
        var stds = Enumerable.Repeat(1f, d).ToArray();
        stds[d / 2] = std;
        return new MaskBundle
        {
            Task = "speaker",
            BackboneDigest = BackboneHex,
            HeadKind = MaskHeadKind.Classifier,
            Labels = [.. TestBundles.Speakers],
            Masks = [],
            Heads =
            [
                new HeadTensor("head.norm.mean", [d], new float[d]),
                new HeadTensor("head.norm.std", [d], stds),
                new HeadTensor("head.proj.weight", [classes, d], new float[classes * d]),
                new HeadTensor("head.proj.bias", [classes], new float[classes]),
            ],
            TokenDropping = dropping,
        };
    }
}
