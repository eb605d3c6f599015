using S3Router.InferenceService.Onnx;

[assembly: AssemblyFixture(typeof(S3Router.InferenceService.Tests.OnnxEnvironmentFixture))]

namespace S3Router.InferenceService.Tests;

/// <summary>
/// Makes ONNX Runtime's environment, once per test process and before any session, with the global thread pool that a
/// pod with <c>Inference:OnnxGlobalThreadPool</c>, <see cref="IntraOpThreads"/> and one concurrent run asks for; whichever
/// test made the first session would otherwise decide whether the environment has a pool.
/// </summary>
public sealed class OnnxEnvironmentFixture
{
    /// <summary>Threads per run of the pods that share the pool (the pool has as many, with the run's own).</summary>
    public const int IntraOpThreads = 2;

    public OnnxEnvironmentFixture()
    {
        if (!OnnxEnvironment.TryUseGlobalThreadPool(IntraOpThreads, spinning: true))
        {
            throw new InvalidOperationException("ONNX Runtime's environment existed before the test fixture.");
        }
    }
}
