using static TorchSharp.torch;

[assembly: AssemblyFixture(typeof(S3Router.ModelParity.Tests.TorchFixture))]

namespace S3Router.ModelParity.Tests;

/// <summary>Limits libtorch to the two cores the machine has; tests run one at a time.</summary>
public sealed class TorchFixture
{
    public TorchFixture()
    {
        set_num_threads(2);
    }
}
