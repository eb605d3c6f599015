using System.Runtime.InteropServices;
using S3Router.Api.V1;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Heads;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Onnx;
using S3Router.InferenceService.Tests.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Inference.Routes;

/// <summary>
/// A cold route holds its downloaded bytes and nothing else large: the cold tier's estimate (<see cref="RouteModel.Bytes"/>)
/// is the file's size because every mask and head tensor is a view of those bytes, and the heads read them correctly.
/// </summary>
public sealed class RouteModelStorageTests
{
    private static readonly string BackboneHex = new('c', 64);

    public static TheoryData<string> Kinds => ["ctc", "attentive"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Create_DownloadedBytes_EveryTensorIsAViewOfThemAndBytesIsTheirLength(string kind)
    {
        var (backbone, bytes, version) = Route(kind);

        var model = RouteModel.Create(version, bytes, backbone);

        Assert.Equal(bytes.Length, model.Bytes);
        Assert.NotEmpty(model.Bundle.Masks);
        Assert.All(model.Bundle.Masks, m => Assert.True(bytes.AsSpan().Overlaps(m.Packed), m.Name));
        Assert.All(model.Bundle.Heads, h => Assert.True(bytes.AsSpan().Overlaps(MemoryMarshal.AsBytes(h.Values)), h.Name));
    }

    [Fact]
    public void Create_CtcRoute_HeadOverTheBytesGivesTheLogProbabilitiesOfCopiedArrays()
    {
        var (backbone, bytes, version) = Route("ctc");
        var bundle = MaskBundle.Read(bytes);
        var copied = new CtcHead(
            bundle.Heads.Single(h => h.Name == "head.proj.weight").Values.ToArray(), bundle.Heads.Single(h => h.Name == "head.proj.bias").Values.ToArray(),
            bundle.Labels, backbone.Config.HiddenSize, backbone.FrameHop);
        var hidden = Hidden(frames: 7, backbone.Config.HiddenSize);

        var model = RouteModel.Create(version, bytes, backbone);

        Assert.Equal(copied.LogProbabilities(hidden), model.Ctc!.LogProbabilities(hidden));
    }

    [Fact]
    public void Create_AttentiveClassifierRoute_HeadOverTheBytesClassifiesAsCopiedArrays()
    {
        var (backbone, bytes, version) = Route("attentive");
        var bundle = MaskBundle.Read(bytes);
        float[] Tensor(string name) => bundle.Heads.Single(h => h.Name == name).Values.ToArray();
        var copied = new ClassifierHead(
            Tensor("head.proj.weight"), Tensor("head.proj.bias"), Tensor("head.attention.weight"), Tensor("head.attention.bias")[0],
            bundle.Labels, backbone.Config.HiddenSize);
        var hidden = Hidden(frames: 9, backbone.Config.HiddenSize);

        var model = RouteModel.Create(version, bytes, backbone);

        Assert.Equal(copied.Classify(hidden, 3), model.Classifier!.Classify(hidden, 3));
    }

    private static (LoadedBackbone Backbone, byte[] Bytes, MaskVersion Version) Route(string kind)
    {
        var config = TinyConfigs.ByStyle(false);
        var backbone = new LoadedBackbone(config, TestWeights.For(config, seed: 71), BackboneHex);
        var bundle = kind == "ctc" ? TestBundles.Ctc(config, BackboneHex, "en", seed: 9) : TestBundles.SpeakerClassifier(config, BackboneHex, seed: 9);
        var bytes = bundle.ToBytes();
        var version = new MaskVersion
        {
            Task = bundle.Task, LanguageCode = bundle.Language, Version = 1, Digest = "sha256:" + Sha256Digest.Of(bytes), SizeBytes = bytes.Length,
        };
        return (backbone, bytes, version);
    }

    private static float[,] Hidden(int frames, int width)
    {
        var random = new Random(4);
        var hidden = new float[frames, width];
        for (var t = 0; t < frames; t++)
        {
            for (var i = 0; i < width; i++)
            {
                hidden[t, i] = (float)random.NextDouble() - 0.5f;
            }
        }

        return hidden;
    }
}
