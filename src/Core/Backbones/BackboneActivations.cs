using S3Router.Core.Errors;

namespace S3Router.Core.Backbones;

/// <summary>Maps Hugging Face activation names (<c>ACT2FN</c> keys) to the functions the model code implements.</summary>
public static class BackboneActivations
{
    private static readonly Dictionary<string, BackboneActivation> ByName = new(StringComparer.Ordinal)
    {
        ["gelu"] = BackboneActivation.Gelu,
        ["gelu_python"] = BackboneActivation.Gelu,
        ["gelu_new"] = BackboneActivation.GeluTanh,
        ["gelu_pytorch_tanh"] = BackboneActivation.GeluTanh,
        ["gelu_fast"] = BackboneActivation.GeluTanh,
        ["relu"] = BackboneActivation.Relu,
        ["silu"] = BackboneActivation.Silu,
        ["swish"] = BackboneActivation.Silu,
        ["tanh"] = BackboneActivation.Tanh,
    };

    /// <summary>Every accepted name, in a stable order. Names are case-sensitive, as in Hugging Face.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. ByName.Keys];

    /// <summary>True when <paramref name="name"/> is a supported activation name.</summary>
    public static bool IsSupported(string? name) => name is not null && ByName.ContainsKey(name);

    /// <summary>The function behind a Hugging Face activation name.</summary>
    /// <param name="name">e.g. <c>gelu</c>.</param>
    /// <param name="field">The config field that holds the name, used in the error.</param>
    /// <exception cref="InvalidInputException">The name is not supported; the message lists the supported names.</exception>
    public static BackboneActivation Resolve(string? name, string field = "hidden_act")
    {
        return name is not null && ByName.TryGetValue(name, out var activation)
            ? activation
            : throw new InvalidInputException(UnsupportedMessage(field, name), field);
    }

    internal static string UnsupportedMessage(string field, string? name) =>
        $"{field} '{name}' is not a supported activation; use one of: {string.Join(", ", Names)}.";
}
