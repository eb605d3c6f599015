using S3Router.TrainingService.Model;
using static TorchSharp.torch;

[assembly: AssemblyFixture(typeof(S3Router.ModelParity.Tests.TorchFixture))]

namespace S3Router.ModelParity.Tests;

/// <summary>
/// Limits libtorch to the two cores the machine has (tests run one at a time) and loads the TrainingService assembly
/// first, whose load caps oneDNN's instruction set (<see cref="LibTorchCpuIsa"/>) before any test's first primitive.
/// </summary>
public sealed class TorchFixture
{
    public TorchFixture()
    {
        _ = LibTorchCpuIsa.Effective;
        set_num_threads(2);
    }
}
