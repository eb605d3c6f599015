using S3Router.TrainingService.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace S3Router.TrainingService.Training.Heads;

/// <summary>
/// Fixed standardization <c>(x − mean) / std</c> of a statistics-pooling head's input, set once from the training
/// set's features before training (buffers, not parameters: no optimizer touches them). Bundle tensors
/// <c>head.norm.mean</c> and <c>head.norm.std</c>.
/// </summary>
internal sealed class FeatureStandardizer : nn.Module<Tensor, Tensor>
{
    private readonly Tensor mean;
    private readonly Tensor std;

    public FeatureStandardizer(long width)
        : base("norm")
    {
        mean = torch.zeros(width);
        std = torch.ones(width);
        register_buffer(nameof(mean), mean);
        register_buffer(nameof(std), std);
    }

    /// <summary>Sets the statistics from samples [n, width]: their mean and population standard deviation (at least <paramref name="minimumStd"/>).</summary>
    public void Fit(Tensor samples, double minimumStd = 1e-5)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        mean.copy_(samples.mean([0]));
        std.copy_(samples.std(0, unbiased: false).clamp_min(HeldScalar.Of(minimumStd)));
    }

    public override Tensor forward(Tensor x) => (x - mean) / std;
}
