using S3Router.Api.V1;
using S3Router.Core.Errors;

namespace S3Router.MaskRegistry.Masks;

/// <summary>Checks that every masked tensor of a bundle exists in the backbone with the same shape.</summary>
internal static class BackboneCompatibility
{
    private const string HfPrefix = "wav2vec2.";

    /// <summary>Throws FailedPreconditionException naming the first few mismatches.</summary>
    public static void Check(BundleInfo bundle, Backbone backbone)
    {
        var shapes = backbone.Tensors.ToDictionary(t => Normalize(t.Name), t => t.Dims.ToArray(), StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var tensor in bundle.MaskedTensors)
        {
            if (!shapes.TryGetValue(Normalize(tensor.Name), out var dims))
            {
                problems.Add($"{tensor.Name} is not a tensor of the backbone");
            }
            else if (!dims.SequenceEqual(tensor.Shape))
            {
                problems.Add($"{tensor.Name} has shape [{string.Join(", ", tensor.Shape)}] in the bundle but [{string.Join(", ", dims)}] in the backbone");
            }
        }
        if (problems.Count > 0)
        {
            var shown = string.Join("; ", problems.Take(5)) + (problems.Count > 5 ? $"; and {problems.Count - 5} more" : "");
            throw new FailedPreconditionException($"The bundle does not fit backbone {backbone.Name} ({backbone.Digest}): {shown}.");
        }
    }

    private static string Normalize(string name) => name.StartsWith(HfPrefix, StringComparison.Ordinal) ? name[HfPrefix.Length..] : name;
}
