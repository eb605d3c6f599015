namespace S3Router.TrainingService.Model;

/// <summary>A float32 tensor in host memory, row-major: the unit the checkpoint code reads and writes.</summary>
public sealed record HostTensor(float[] Data, long[] Shape)
{
    /// <summary>Shape as text, e.g. <c>[768, 3072]</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>Formats a shape as <c>[a, b, c]</c>.</summary>
    public static string FormatShape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
