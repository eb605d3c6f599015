using S3Router.Core.Backbones;
using S3Router.InferenceService.Onnx;
using S3Router.Testing;

namespace S3Router.InferenceService.Tests.Onnx;

/// <summary>The shared seeded checkpoint (<see cref="RandomCheckpoint"/>) as the ONNX builder's input type.</summary>
internal static class TestWeights
{
    public static Dictionary<string, WeightTensor> For(Wav2Vec2Config config, int seed) =>
        RandomCheckpoint.Weights(config, seed).ToDictionary(kv => kv.Key, kv => new WeightTensor(kv.Value.Data, kv.Value.Shape), StringComparer.Ordinal);

    /// <summary>A seeded random mask keeping about 70 % of every FFN weight of the first <paramref name="layers"/> layers, by parameter name without prefix.</summary>
    public static Dictionary<string, bool[]> RandomFfnMask(IReadOnlyDictionary<string, WeightTensor> weights, int layers, int seed)
    {
        var random = new Random(seed);
        var mask = new Dictionary<string, bool[]>();
        for (var l = 0; l < layers; l++)
        {
            foreach (var part in new[] { "intermediate_dense", "output_dense" })
            {
                var name = $"encoder.layers.{l}.feed_forward.{part}.weight";
                mask[name] = Enumerable.Range(0, weights["wav2vec2." + name].Data.Length).Select(_ => random.NextDouble() < 0.7).ToArray();
            }
        }

        return mask;
    }
}
