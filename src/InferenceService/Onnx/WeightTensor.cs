namespace S3Router.InferenceService.Onnx;

/// <summary>A float32 parameter tensor, row-major, with its shape (e.g. a Linear weight is [out, in]).</summary>
public sealed record WeightTensor(float[] Data, long[] Shape)
{
    /// <summary>Number of elements implied by <see cref="Shape"/>.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The shape as text, for error messages: <c>[768, 3072]</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    internal static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
}
