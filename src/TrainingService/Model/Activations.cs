using S3Router.Core.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>Hugging Face activation names (<c>hidden_act</c>, <c>feat_extract_activation</c>) to TorchSharp functions.</summary>
internal static class Activations
{
    private static readonly double TanhGeluScale = Math.Sqrt(2.0 / Math.PI);

    /// <summary>Returns the activation for a config value, or throws <see cref="InvalidInputException"/> naming <paramref name="field"/>.</summary>
    public static Func<Tensor, Tensor> Get(string name, string field) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" =>
            x => 0.5 * x * (1.0 + torch.tanh(TanhGeluScale * (x + 0.044715 * x.pow(3)))),
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        "tanh" => torch.tanh,
        _ => throw new InvalidInputException(
            $"Unsupported activation '{name}'; expected gelu, gelu_new, relu, silu or tanh.", field),
    };
}
