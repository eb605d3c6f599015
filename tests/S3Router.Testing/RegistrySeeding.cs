using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Core.Backbones;
using S3Router.Core.Masks;

namespace S3Router.Testing;

/// <summary>Fills a MaskRegistry through its gRPC API: backbones and published route bundles.</summary>
public static class RegistrySeeding
{
    /// <summary>Registers a backbone of digest <c>sha256:HEX</c> with its config and tensor shapes.</summary>
    public static async Task RegisterBackboneAsync(
        this MaskRegistry.MaskRegistryClient registry, string hex, string name, Wav2Vec2Config config,
        IEnumerable<(string Name, long[] Shape)> tensors, CancellationToken cancellationToken)
    {
        var request = new RegisterBackboneRequest { Digest = "sha256:" + hex, Name = name, ConfigJson = Wav2Vec2ConfigJson.Serialize(config) };
        request.Tensors.AddRange(tensors.Select(t => new TensorShape { Name = t.Name, Dims = { t.Shape } }));
        await registry.RegisterBackboneAsync(request, cancellationToken: cancellationToken);
    }

    /// <summary>Publishes <paramref name="bundle"/> (language "" as <c>und</c>), moving <paramref name="alias"/> to it unless empty.</summary>
    public static async Task<MaskVersion> PublishAsync(
        this MaskRegistry.MaskRegistryClient registry, MaskBundle bundle, string alias, CancellationToken cancellationToken)
    {
        var metadata = new PublishMaskMetadata
        {
            Task = bundle.Task,
            LanguageCode = bundle.Language.Length == 0 ? "und" : bundle.Language,
            SetAlias = alias,
        };
        return (await registry.PublishBundleAsync(metadata, bundle.ToBytes(), new CallOptions(cancellationToken: cancellationToken))).Version;
    }
}
