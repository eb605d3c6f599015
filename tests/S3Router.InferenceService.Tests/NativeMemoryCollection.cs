namespace S3Router.InferenceService.Tests;

/// <summary>
/// Tests that read process-wide native state (the live ONNX session count, glibc's malloc statistics): they run alone,
/// after the parallel tests, so no other test's sessions or allocations move the figures.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeMemoryCollection
{
    public const string Name = "native memory";
}
