namespace S3Router.Core.Backbones;

/// <summary>The activation functions a backbone may use, whatever Hugging Face name selected them.</summary>
public enum BackboneActivation
{
    /// <summary>Exact GELU, <c>x·Φ(x)</c> with the error function (<c>gelu</c>, <c>gelu_python</c>).</summary>
    Gelu,

    /// <summary>GELU with the tanh approximation (<c>gelu_new</c>, <c>gelu_pytorch_tanh</c>, <c>gelu_fast</c>).</summary>
    GeluTanh,

    /// <summary><c>max(0, x)</c> (<c>relu</c>).</summary>
    Relu,

    /// <summary><c>x·sigmoid(x)</c> (<c>silu</c>, <c>swish</c>).</summary>
    Silu,

    /// <summary>Hyperbolic tangent (<c>tanh</c>).</summary>
    Tanh,
}
