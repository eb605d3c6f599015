using S3Router.Core.Errors;

namespace S3Router.Core.Masks;

/// <summary>
/// One F32 tensor of a route's task head, e.g. <c>head.weight</c> [num_labels, hidden_size] and <c>head.bias</c> [num_labels].
/// </summary>
public sealed class HeadTensor
{
    /// <summary>Prefix every head tensor name carries, so head and mask tensors never collide.</summary>
    public const string NamePrefix = "head.";

    /// <summary>Module name of an ensemble head's members: member k's tensors are <c>head.members.{k}.*</c> (docs/formats.md, "Route heads").</summary>
    public const string MembersName = "members";

    /// <summary>
    /// Tensor of a conv_max head (relative to its prefix) whose presence marks that pooling: the softmax logits over the
    /// backbone's L + 1 hidden states, [L+1] (docs/formats.md, "Route heads").
    /// </summary>
    public const string ConvMaxLayerLogits = "layer_logits";

    /// <summary>Prefix of member <paramref name="k"/>'s tensors in an ensemble head: <c>head.members.{k}.</c>.</summary>
    public static string MemberPrefix(int k) => $"{NamePrefix}{MembersName}.{k}.";

    /// <summary>
    /// Members of an ensemble head among <paramref name="names"/>: how many k = 0, 1, … have
    /// <c>head.members.{k}.{memberTensor}</c>; 0 when the head is not an ensemble.
    /// </summary>
    public static int EnsembleMembers(IEnumerable<string> names, string memberTensor)
    {
        var present = names.ToHashSet(StringComparer.Ordinal);
        var members = 0;
        while (present.Contains(MemberPrefix(members) + memberTensor))
        {
            members++;
        }

        return members;
    }

    private readonly ReadOnlyMemory<float> _values;

    /// <summary>Creates a head tensor; <paramref name="values"/> are copied.</summary>
    /// <exception cref="InvalidInputException">The name does not start with <c>head.</c>, a dimension is negative, or the value count does not match the shape.</exception>
    public HeadTensor(string name, IReadOnlyList<long> shape, ReadOnlySpan<float> values)
        : this(name, shape, values.Length)
    {
        _values = values.ToArray();
    }

    // Over values without a copy (a bundle read in place): the memory must not change while the tensor lives.
    private HeadTensor(ReadOnlyMemory<float> values, string name, IReadOnlyList<long> shape)
        : this(name, shape, values.Length)
    {
        _values = values;
    }

    private HeadTensor(string name, IReadOnlyList<long> shape, int valueCount)
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

        if (valueCount != count)
        {
            throw new InvalidInputException(
                $"head tensor '{name}' has {valueCount} values, shape [{string.Join(", ", shape)}] needs {count}", name);
        }

        Name = name;
        Shape = [.. shape];
    }

    /// <summary>Tensor name, starting with <c>head.</c>.</summary>
    public string Name { get; }

    /// <summary>Shape, row-major.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The values, row-major.</summary>
    public ReadOnlySpan<float> Values => _values.Span;

    /// <summary>
    /// The values as memory, for a consumer that keeps them (a route's head) without a copy. Read-only: for a bundle
    /// read in place it is a view of the bundle's bytes.
    /// </summary>
    public ReadOnlyMemory<float> Memory => _values;

    /// <summary>A head tensor over <paramref name="values"/> without a copy (see <see cref="MaskBundle.ReadInPlace"/>).</summary>
    /// <exception cref="InvalidInputException">Bad name or shape, or the value count does not match the shape.</exception>
    internal static HeadTensor Over(string name, IReadOnlyList<long> shape, ReadOnlyMemory<float> values) => new(values, name, shape);
}
