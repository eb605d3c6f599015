using System.Security.Cryptography;
using System.Text;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.InferenceService.Inference.Heads;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// A cold route version: its registry version, its masks as packed bits (the bundle) and its head. The ONNX session
/// is built from it on demand (<see cref="RouteEngine"/>) and shared by every route version with the same masks.
/// </summary>
internal sealed class RouteModel
{
    /// <summary>The mask key of the unmasked backbone (a bundle without masks).</summary>
    public const string BaseMaskKey = "base";

    // Same masks, another graph (with the hidden states outputs), so another session.
    private const string StatesKeySuffix = "+states";

    private RouteModel(MaskVersion version, MaskBundle bundle, string maskKey, CtcHead? ctc, ClassifierHead? classifier, long bytes)
    {
        Version = version;
        Bundle = bundle;
        MaskKey = maskKey;
        Ctc = ctc;
        Classifier = classifier;
        Bytes = bytes;
    }

    /// <summary>The registry's record of this version (task, language, version, digest).</summary>
    public MaskVersion Version { get; }

    public MaskBundle Bundle { get; }

    /// <summary>
    /// sha256 of the masks (and token dropping, which is part of the graph), with the suffix <c>+states</c> for a
    /// statistics-pooling or conv_max route (its graph also outputs every hidden state): equal keys mean the same session.
    /// </summary>
    public string MaskKey { get; }

    /// <summary>The head of a CTC route, else null.</summary>
    public CtcHead? Ctc { get; }

    /// <summary>The head of a classifier route, else null.</summary>
    public ClassifierHead? Classifier { get; }

    /// <summary>Whether the route's head reads the all-states features (statistics or conv_max pooling), so its session outputs every hidden state.</summary>
    public bool NeedsHiddenStates => Classifier?.ReadsAllStates == true;

    /// <summary>
    /// Size of the bundle file, the cold footprint: the masks and head tensors are views of the file's bytes
    /// (<see cref="MaskBundle.ReadInPlace"/>), so the bytes are what the route holds, plus small objects.
    /// </summary>
    public long Bytes { get; }

    /// <summary>
    /// Verifies the bytes against the version's digest, reads the bundle and checks it fits the backbone. The route
    /// keeps <paramref name="bytes"/> as its storage (no copies): the caller must not change them afterwards.
    /// </summary>
    /// <exception cref="FailedPreconditionException">
    /// Digest mismatch, another backbone, other shapes, a malformed head, or statistics or conv_max pooling with token dropping.
    /// </exception>
    public static RouteModel Create(MaskVersion version, byte[] bytes, LoadedBackbone backbone)
    {
        var route = $"{version.Task}/{version.LanguageCode} v{version.Version}";
        var digest = "sha256:" + Sha256Digest.Of(bytes);
        if (!string.Equals(digest, version.Digest, StringComparison.Ordinal))
        {
            throw new FailedPreconditionException($"The bundle of {route} downloaded with digest {digest}, but the registry says {version.Digest}.");
        }

        MaskBundle bundle;
        try
        {
            bundle = MaskBundle.ReadInPlace(bytes);
        }
        catch (InvalidInputException e)
        {
            throw new FailedPreconditionException($"The bundle of {route} is not a valid mask bundle: {e.Message}", e);
        }

        try
        {
            bundle.CheckCompatible(backbone.Digest, backbone.Shapes);
        }
        catch (FailedPreconditionException e)
        {
            throw new FailedPreconditionException($"Route {route} does not fit this pod's backbone: {e.Message}", e);
        }

        var hidden = backbone.Config.HiddenSize;
        CtcHead? ctc = null;
        ClassifierHead? classifier = null;
        ReadOnlyMemory<float> Proj(string prefix, string part) => Head(bundle, $"{prefix}proj.{part}", route);
        var ensembleSize = HeadTensor.EnsembleMembers(bundle.Heads.Select(h => h.Name), ConvMaxPooling.LayerLogitsTensor);

        if (bundle.HeadKind == MaskHeadKind.Ctc)
        {
            ctc = new CtcHead(Proj(HeadTensor.NamePrefix, "weight"), Proj(HeadTensor.NamePrefix, "bias"), bundle.Labels, hidden, backbone.FrameHop);
        }
        else if (bundle.Heads.Any(h => h.Name == ClassifierHead.NormMeanTensor))
        {
            if (bundle.TokenDropping is { IsActive: true })
            {
                throw new FailedPreconditionException(
                    $"Route {route} pools statistics over all states but its bundle drops tokens: token dropping removes frames between the conv features and the transformer; not supported with statistics pooling.");
            }

            try
            {
                classifier = ClassifierHead.Statistics(
                    Proj(HeadTensor.NamePrefix, "weight"), Proj(HeadTensor.NamePrefix, "bias"), Head(bundle, ClassifierHead.NormMeanTensor, route), Head(bundle, ClassifierHead.NormStdTensor, route),
                    bundle.Labels, backbone.Config.AllStatesWidth);
            }
            catch (FailedPreconditionException e)
            {
                throw new FailedPreconditionException($"The bundle of {route} does not fit this pod's backbone: {e.Message}", e);
            }
        }
        else if (ensembleSize > 0 || bundle.Heads.Any(h => h.Name == HeadTensor.NamePrefix + ConvMaxPooling.LayerLogitsTensor))
        {
            if (bundle.TokenDropping is { IsActive: true })
            {
                throw new FailedPreconditionException(
                    $"Route {route} has a conv_max head but its bundle drops tokens: the head is served from the all-states session, which runs without token dropping; not supported with conv_max pooling.");
            }

            ClassifierHead ConvMaxAt(string prefix)
            {
                var convWeightName = prefix + ConvMaxPooling.ConvWeightTensor;
                var convWeight = bundle.Heads.FirstOrDefault(h => h.Name == convWeightName)
                    ?? throw new FailedPreconditionException($"The bundle of {route} has no head tensor '{convWeightName}' (docs/formats.md, route heads).");
                // Views of the bundle, like the other heads: a conv_max route's weights are most of its bundle.
                var pooling = ConvMaxPooling.Create(
                    Head(bundle, prefix + ConvMaxPooling.LayerLogitsTensor, route), Head(bundle, prefix + ConvMaxPooling.NormWeightTensor, route),
                    Head(bundle, prefix + ConvMaxPooling.NormBiasTensor, route), convWeight.Memory, convWeight.Shape,
                    Head(bundle, prefix + ConvMaxPooling.ConvBiasTensor, route), hidden, backbone.Config.NumHiddenLayers, backbone.Config.AllStatesWidth, prefix);
                return ClassifierHead.ConvMax(Proj(prefix, "weight"), Proj(prefix, "bias"), pooling, bundle.Labels);
            }

            try
            {
                classifier = ensembleSize <= 1
                    ? ConvMaxAt(ensembleSize == 0 ? HeadTensor.NamePrefix : HeadTensor.MemberPrefix(0))
                    : ClassifierHead.Ensemble([.. Enumerable.Range(0, ensembleSize).Select(k => ConvMaxAt(HeadTensor.MemberPrefix(k)))]);
            }
            catch (FailedPreconditionException e)
            {
                throw new FailedPreconditionException($"The bundle of {route} does not fit this pod's backbone: {e.Message}", e);
            }
        }
        else
        {
            ReadOnlyMemory<float>? attention = bundle.Heads.Any(h => h.Name == "head.attention.weight") ? Head(bundle, "head.attention.weight", route) : null;
            var attentionBias = attention is null ? 0f : FirstOrZero(Head(bundle, "head.attention.bias", route).Span);
            classifier = new ClassifierHead(Proj(HeadTensor.NamePrefix, "weight"), Proj(HeadTensor.NamePrefix, "bias"), attention, attentionBias, bundle.Labels, hidden);
        }

        var maskKey = MaskKeyOf(bundle);
        if (classifier?.ReadsAllStates == true)
        {
            maskKey += StatesKeySuffix;
        }

        return new RouteModel(version, bundle, maskKey, ctc, classifier, bytes.Length);
    }

    /// <summary>The route's masks, one bool per element, under canonical parameter names.</summary>
    public Dictionary<string, bool[]> UnpackMasks() =>
        Bundle.Masks.ToDictionary(m => Wav2Vec2Weights.CanonicalName(m.Name), m => m.Unpack(), StringComparer.Ordinal);

    private static string MaskKeyOf(MaskBundle bundle)
    {
        var dropping = bundle.TokenDropping is { IsActive: true } d ? d : null;
        if (bundle.Masks.Count == 0 && dropping is null)
        {
            return BaseMaskKey;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (dropping is not null)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(
                System.FormattableString.Invariant($"token_dropping:{dropping.SilenceDbfs}:{dropping.RepeatCosine}:{dropping.MarginFrames};")));
        }

        foreach (var mask in bundle.Masks.OrderBy(m => Wav2Vec2Weights.CanonicalName(m.Name), StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{Wav2Vec2Weights.CanonicalName(mask.Name)}[{string.Join(',', mask.Shape)}]"));
            hash.AppendData(mask.Packed);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // The head keeps the tensor's memory (a view of the bundle bytes), not a copy.
    private static ReadOnlyMemory<float> Head(MaskBundle bundle, string name, string route) =>
        bundle.Heads.FirstOrDefault(h => h.Name == name)?.Memory
        ?? throw new FailedPreconditionException($"The bundle of {route} has no head tensor '{name}' (docs/formats.md, route heads).");

    private static float FirstOrZero(ReadOnlySpan<float> values) => values.IsEmpty ? 0f : values[0];
}
