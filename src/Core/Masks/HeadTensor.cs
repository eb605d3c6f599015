using S3Router.Core.Errors;

namespace S3Router.Core.Masks;

/// <summary>
/// One F32 tensor of a route's task head, e.g. <c>head.weight</c> [num_labels, hidden_size] and <c>head.bias</c> [num_labels].
/// </summary>
public sealed class HeadTensor
{
    /// <summary>Prefix every head tensor name carries, so head and mask tensors never collide.</summary>
    public const string NamePrefix = "head.";

    private readonly float[] _values;

    /// <summary>Creates a head tensor; <paramref name="values"/> are copied.</summary>
    /// <exception cref="InvalidInputException">The name does not start with <c>head.</c>, a dimension is negative, or the value count does not match the shape.</exception>
    public HeadTensor(string name, IReadOnlyList<long> shape, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (!name.StartsWith(NamePrefix, StringComparison.Ordinal) || name.Length == NamePrefix.Length)
        {
            throw new InvalidInputException($"head tensor '{name}' must be named '{NamePrefix}<something>'", name);
        }

        long count = 1;
        foreach (var dim in shape)
        {
            if (dim < 0 || (dim > 0 && count > Array.MaxLength / dim))
            {
                throw new InvalidInputException($"head tensor '{name}' has invalid shape [{string.Join(", ", shape)}]", name);
            }

            count *= dim;
        }

        if (values.Length != count)
        {
            throw new InvalidInputException(
                $"head tensor '{name}' has {values.Length} values, shape [{string.Join(", ", shape)}] needs {count}", name);
        }

        Name = name;
        Shape = [.. shape];
        _values = values.ToArray();
    }

    /// <summary>Tensor name, starting with <c>head.</c>.</summary>
    public string Name { get; }

    /// <summary>Shape, row-major.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The values, row-major.</summary>
    public ReadOnlySpan<float> Values => _values;
}
