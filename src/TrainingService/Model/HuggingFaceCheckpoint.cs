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

    // Present in Hugging Face models only when SpecAugment is configured: absent is fine.
    private static readonly HashSet<string> Optional = new(StringComparer.Ordinal) { "masked_spec_embed" };

    private static readonly (string From, string To)[] Renames =
    [
        ("encoder.pos_conv_embed.conv.parametrizations.weight.original0", "encoder.pos_conv_embed.conv.weight_g"),
        ("encoder.pos_conv_embed.conv.parametrizations.weight.original1", "encoder.pos_conv_embed.conv.weight_v"),
    ];

    public static CheckpointLoadReport Load(IReadOnlyDictionary<string, Tensor> target, IReadOnlyDictionary<string, HostTensor> source)
    {
        var prefix = Prefixes.FirstOrDefault(p => source.Keys.Any(k => k.StartsWith(p, StringComparison.Ordinal))) ?? string.Empty;
        var ignored = new List<string>();
        var renamed = new Dictionary<string, (string Original, HostTensor Tensor)>(StringComparer.Ordinal);
        var violations = new List<FieldViolation>();
        foreach (var (original, tensor) in source)
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

            if (!renamed.TryAdd(name, (original, tensor)))
            {
                violations.Add(new FieldViolation(original, $"'{original}' and '{renamed[name].Original}' both give tensor '{name}'."));
            }
        }

        foreach (var (name, (original, tensor)) in renamed)
        {
            if (!target.TryGetValue(name, out var expected))
            {
                violations.Add(new FieldViolation(original, $"unknown tensor '{original}'"));
            }
            else if (!expected.shape.SequenceEqual(tensor.Shape))
            {
                violations.Add(new FieldViolation(original,
                    $"tensor '{original}' has shape {tensor.ShapeText}; expected {HostTensor.FormatShape(expected.shape)}"));
            }
            else if (tensor.Data.LongLength != expected.numel())
            {
                violations.Add(new FieldViolation(original,
                    $"tensor '{original}' has {tensor.Data.LongLength} values for shape {tensor.ShapeText}"));
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
            foreach (var (name, (_, tensor)) in renamed)
            {
                var destination = target[name];
                using var value = torch.tensor(tensor.Data, tensor.Shape, dtype: destination.dtype);
                destination.copy_(value);
            }
        }

        ignored.Sort(StringComparer.Ordinal);
        return new CheckpointLoadReport(renamed.Count, prefix, ignored, keptInitial);
    }
}
