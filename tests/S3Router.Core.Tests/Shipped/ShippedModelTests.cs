using S3Router.Core.Backbones;
using S3Router.Core.Masks;
using S3Router.Core.Safetensors;
using S3Router.Testing;

namespace S3Router.Core.Tests.Shipped;

/// <summary>The backbone and demo routes the repository ships (models/tiny-ssl), as the quickstart serves them.</summary>
public sealed class ShippedModelTests
{
    private static readonly string ModelDirectory = Path.GetDirectoryName(RepositoryPaths.Find(Path.Combine("models", "tiny-ssl", "config.json")))!;

    [Fact]
    public async Task Backbone_ConfigAndWeights_MatchTheModelCard()
    {
        // Arrange
        var card = await File.ReadAllTextAsync(Path.Combine(ModelDirectory, "MODEL_CARD.md"), TestContext.Current.CancellationToken);

        // Act
        var config = await Wav2Vec2ConfigJson.LoadAsync(Path.Combine(ModelDirectory, "config.json"), TestContext.Current.CancellationToken);
        var digest = Sha256Digest.OfFile(Path.Combine(ModelDirectory, "model.safetensors"));
        using var weights = SafetensorsFile.Open(Path.Combine(ModelDirectory, "model.safetensors"));

        // Assert: the card names the digest of the weights it describes, and the weights fit the config.
        Assert.Contains(digest, card, StringComparison.Ordinal);
        Assert.Equal(config.HiddenSize, weights.Tensors.Single(t => t.Key.EndsWith("feature_projection.projection.weight", StringComparison.Ordinal)).Value.Shape[0]);
    }

    [Theory]
    [InlineData("asr-en.safetensors", "asr", "en", MaskHeadKind.Ctc, true)]
    [InlineData("speaker-und.safetensors", "speaker", "und", MaskHeadKind.Classifier, false)] // a statistics-pooling head alone (MODEL_CARD)
    [InlineData("intent-en.safetensors", "intent", "en", MaskHeadKind.Classifier, false)]
    public void DemoRoute_ReadAndCheckedAgainstTheShippedBackbone_IsCompatible(string file, string task, string language, MaskHeadKind head, bool masked)
    {
        // Arrange
        using var weights = SafetensorsFile.Open(Path.Combine(ModelDirectory, "model.safetensors"));
        var shapes = weights.Tensors.ToDictionary(t => t.Key, t => t.Value.Shape.ToArray(), StringComparer.Ordinal);
        var digest = Sha256Digest.OfFile(Path.Combine(ModelDirectory, "model.safetensors"));

        // Act
        var bundle = MaskBundle.Read(Path.Combine(ModelDirectory, "routes", file));

        // Assert: what run.sh publishes resolves and loads on the backbone it registers.
        bundle.CheckCompatible(digest, shapes);
        Assert.Equal((task, language, head), (bundle.Task, bundle.Language, bundle.HeadKind));
        Assert.Equal(masked, bundle.Masks.Count > 0);
        Assert.True(bundle.Labels.Count >= 2);
    }
}
