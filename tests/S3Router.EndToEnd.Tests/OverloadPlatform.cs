namespace S3Router.EndToEnd.Tests;

/// <summary>The <see cref="ProcessPlatform"/> with an inference queue of 2 requests and batches of 1: easy to overload.</summary>
public sealed class OverloadPlatform : ProcessPlatform
{
    protected override IReadOnlyDictionary<string, string> InferenceSettings => new Dictionary<string, string>
    {
        ["Inference__QueueCapacity"] = "2",
        ["Inference__MaxBatchSize"] = "1",
    };
}
