using S3Router.Core.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Model;

/// <summary>Hugging Face activation names (<c>hidden_act</c>, <c>feat_extract_activation</c>) to TorchSharp functions.</summary>
internal static class Activations
{
    private static readonly double TanhGeluScale = Math.Sqrt(2.0 / Math.PI);

    /// <summary>Returns the activation for a config value; an unsupported name throws InvalidInputException naming <paramref name="field"/>.</summary>
    public static Func<Tensor, Tensor> Get(string name, string field) => BackboneActivations.Resolve(name, field) switch
    {
        BackboneActivation.Gelu => x => nn.functional.gelu(x),
        BackboneActivation.GeluTanh => x => HeldScalar.Of(0.5) * x * (HeldScalar.Of(1.0) + torch.tanh(HeldScalar.Of(TanhGeluScale) * (x + (HeldScalar.Of(0.044715) * x.pow(HeldScalar.Of(3L)))))),
        BackboneActivation.Relu => x => nn.functional.relu(x),
        BackboneActivation.Silu => x => nn.functional.silu(x),
        BackboneActivation.Tanh => torch.tanh,
        var other => throw new NotSupportedException($"Activation {other} has no TorchSharp mapping."),
    };
}
