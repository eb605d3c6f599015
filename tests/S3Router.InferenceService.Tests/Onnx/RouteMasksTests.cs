using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.InferenceService.Onnx;

namespace S3Router.InferenceService.Tests.Onnx;

public sealed class RouteMasksTests
{
    [Theory]
    [InlineData(64)]
    [InlineData(61)]
    public void Apply_PackedBits_SameAsBoolMask(int length)
    {
        // Arrange: a length that is not a multiple of 8 too, and whole bytes of kept and dropped bits.
        var random = new Random(length);
        var data = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble() + 0.5f).ToArray();
        var keep = Enumerable.Range(0, length).Select(i => i is < 8 or (>= 16 and < 24) ? i < 8 : random.NextDouble() < 0.5).ToArray();
        var weights = new Dictionary<string, WeightTensor> { ["w"] = new(data, [length]), ["other"] = new([1f], [1]) };
        var rented = new List<float[]>();

        // Act
        var expected = RouteMasks.Apply(weights, new Dictionary<string, bool[]> { ["w"] = keep });
        var actual = RouteMasks.Apply(weights, [MaskTensor.FromBits("wav2vec2.w", [length], keep)], n => new float[n], rented);

        // Assert
        Assert.Equal(expected["w"].Data, actual["w"].Data);
        Assert.Same(rented.Single(), actual["w"].Data);
        Assert.Same(weights["other"], actual["other"]);
    }

    [Fact]
    public void Apply_PackedMaskOfTheWrongSize_ThrowsFailedPrecondition()
    {
        // Arrange
        var weights = new Dictionary<string, WeightTensor> { ["w"] = new(new float[16], [16]) };

        // Act
        var error = Assert.Throws<FailedPreconditionException>(
            () => RouteMasks.Apply(weights, [MaskTensor.FromBits("w", [8], new bool[8])], n => new float[n], []));

        // Assert
        Assert.Contains("8 elements", error.Message, StringComparison.Ordinal);
    }
}
