using S3Router.Core.Backbones;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Onnx;

/// <summary>The shared seeded checkpoint (<see cref="RandomCheckpoint"/>) as the ONNX builder's input type.</summary>
internal static class TestWeights
{
    public static Dictionary<string, WeightTensor> For(Wav2Vec2Config config, int seed) =>
        RandomCheckpoint.Weights(config, seed).ToDictionary(kv => kv.Key, kv => new WeightTensor(kv.Value.Data, kv.Value.Shape), StringComparer.Ordinal);
}
