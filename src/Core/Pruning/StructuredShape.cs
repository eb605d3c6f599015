using S3Router.Core.Backbones;
using S3Router.Core.Errors;

namespace S3Router.Core.Pruning;

/// <summary>
/// How many structures of a backbone a route keeps: output channels per conv layer, attention heads and FFN
/// intermediate units per transformer layer. The unpruned backbone is <see cref="Full"/>.
/// </summary>
public sealed record StructuredShape
{
    /// <summary>Kept output channels of each conv feature-extractor layer (length <c>num_feat_extract_layers</c>).</summary>
    public required IReadOnlyList<int> ConvChannels { get; init; }

    /// <summary>Kept attention heads of each transformer layer (length <c>num_hidden_layers</c>).</summary>
    public required IReadOnlyList<int> Heads { get; init; }

    /// <summary>Kept FFN intermediate units of each transformer layer (length <c>num_hidden_layers</c>).</summary>
    public required IReadOnlyList<int> FfnUnits { get; init; }

    /// <summary>The shape of the unpruned backbone.</summary>
    public static StructuredShape Full(Wav2Vec2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new StructuredShape
        {
            ConvChannels = [.. config.ConvDim],
            Heads = Enumerable.Repeat(config.NumAttentionHeads, config.NumHiddenLayers).ToArray(),
            FfnUnits = Enumerable.Repeat(config.IntermediateSize, config.NumHiddenLayers).ToArray(),
        };
    }

    /// <summary>Checks the lengths and that every count is in [1, full size].</summary>
    /// <exception cref="InvalidInputException">A count is out of range or a list has the wrong length.</exception>
    public void Validate(Wav2Vec2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Check(ConvChannels, config.ConvDim, "conv_channels");
        Check(Heads, Enumerable.Repeat(config.NumAttentionHeads, config.NumHiddenLayers).ToArray(), "heads");
        Check(FfnUnits, Enumerable.Repeat(config.IntermediateSize, config.NumHiddenLayers).ToArray(), "ffn_units");
    }

    private static void Check(IReadOnlyList<int> kept, IReadOnlyList<int> full, string field)
    {
        if (kept.Count != full.Count || kept.Where((k, i) => k < 1 || k > full[i]).Any())
        {
            throw new InvalidInputException(
                $"{field} [{string.Join(", ", kept)}] must have {full.Count} entries, each in [1, full size [{string.Join(", ", full)}]]", field);
        }
    }
}
