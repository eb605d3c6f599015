using static TorchSharp.torch;

namespace S3Router.TrainingService.Tests.Model;

public sealed class TorchSharpLoadingTests
{
    [Fact]
    public void Randn_OnCpu_ReturnsFiniteTensorOfRequestedShape()
    {
        // Arrange
        manual_seed(1);

        // Act
        using var x = randn(3, 3);

        // Assert
        Assert.Equal([3L, 3L], x.shape);
        Assert.True(x.isfinite().all().item<bool>());
        Assert.True(x.abs().sum().item<float>() > 0f);
    }
}
