using S3Router.Core.Backbones;
using S3Router.Core.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>
/// Maps Hugging Face checkpoint names onto the model's tensors: strips the backbone prefix, renames the
/// parametrized weight norm, then checks names and shapes before copying anything.
/// </summary>
internal static class HuggingFaceCheckpoint
{
    private static readonly string[] Prefixes = ["wav2vec2.", "hubert."];

    // Present in Hugging Face models only when SpecAugment is configured: absent is fine either way.
    private static readonly HashSet<string> Optional = new(BackboneParameterShapes.OptionalNames, StringComparer.Ordinal);

    private static readonly (string From, string To)[] Renames =
    [
        ("encoder.pos_conv_embed.conv.parametrizations.weight.original0", "encoder.pos_conv_embed.conv.weight_g"),
        ("encoder.pos_conv_embed.conv.parametrizations.weight.original1", "encoder.pos_conv_embed.conv.weight_v"),
    ];

    /// <summary>
    /// Checks every name and shape of <paramref name="shapes"/> against <paramref name="target"/>, then copies each
    /// tensor's values, read by name through <paramref name="read"/> (row-major float32).
    /// </summary>
    public static CheckpointLoadReport Load(
        IReadOnlyDictionary<string, Tensor> target, IReadOnlyDictionary<string, IReadOnlyList<long>> shapes, Func<string, float[]> read)
    {
        var prefix = Prefixes.FirstOrDefault(p => shapes.Keys.Any(k => k.StartsWith(p, StringComparison.Ordinal))) ?? string.Empty;
        var ignored = new List<string>();
        var renamed = new Dictionary<string, (string Original, IReadOnlyList<long> Shape)>(StringComparer.Ordinal);
        var violations = new List<FieldViolation>();
        foreach (var (original, shape) in shapes)
        {
            if (!original.StartsWith(prefix, StringComparison.Ordinal))
            {
                ignored.Add(original); // with a prefix, anything outside it is a head or a quantizer
                continue;
            }

            var name = original[prefix.Length..];
            foreach (var (from, to) in Renames)
            {
                if (name == from)
                {
                    name = to;
                }
            }

            if (!target.ContainsKey(name) && Optional.Contains(name))
            {
                ignored.Add(original); // e.g. masked_spec_embed when this config has no SpecAugment
                continue;
            }

            if (!renamed.TryAdd(name, (original, shape)))
            {
                violations.Add(new FieldViolation(original, $"'{original}' and '{renamed[name].Original}' both give tensor '{name}'."));
            }
        }

        foreach (var (name, (original, shape)) in renamed)
        {
            if (!target.TryGetValue(name, out var expected))
            {
                violations.Add(new FieldViolation(original, $"unknown tensor '{original}'"));
            }
            else if (!expected.shape.SequenceEqual(shape))
            {
                violations.Add(new FieldViolation(original,
                    $"tensor '{original}' has shape {HostTensor.FormatShape(shape)}; expected {HostTensor.FormatShape(expected.shape)}"));
            }
        }

        var keptInitial = new List<string>();
        foreach (var name in target.Keys.Where(n => !renamed.ContainsKey(n)).Order(StringComparer.Ordinal))
        {
            if (Optional.Contains(name))
            {
                keptInitial.Add(name);
            }
            else
            {
                violations.Add(new FieldViolation(prefix + name, $"missing tensor '{prefix + name}'"));
            }
        }

        if (violations.Count > 0)
        {
            throw new InvalidInputException(
                $"Checkpoint does not fit the backbone ({violations.Count} problem(s)): {string.Join("; ", violations.Select(v => v.Description))}.",
                violations);
        }

        using (no_grad())
        {
            foreach (var (name, (original, shape)) in renamed)
            {
                var data = read(original);
                if (data.LongLength != target[name].numel())
                {
                    throw new InvalidInputException(
                        $"tensor '{original}' has {data.LongLength} values for shape {HostTensor.FormatShape(shape)}", original);
                }

                var destination = target[name];
                using var value = torch.tensor(data, shape.ToArray(), dtype: destination.dtype);
                destination.copy_(value);
            }
        }

        ignored.Sort(StringComparer.Ordinal);
        return new CheckpointLoadReport(renamed.Count, prefix, ignored, keptInitial);
    }
}
