using S3Router.Core.Backbones;

namespace S3Router.Testing;

/// <summary>Seeded random backbone weights in checkpoint form, independent of either engine's initialization.</summary>
public static class RandomCheckpoint
{
    /// <summary>
    /// Every tensor of <see cref="BackboneParameterShapes.For"/> as a checkpoint stores it: names prefixed by
    /// <paramref name="prefix"/>, the positional conv as <c>weight_g</c>/<c>weight_v</c>. Weights are uniform with the
    /// variance of 1 / fan-in; norm scales 1 ± small noise; weight_g in [0.5, 1.5].
    /// </summary>
    public static Dictionary<string, CheckpointTensor> Weights(Wav2Vec2Config config, int seed, string prefix = "wav2vec2.")
    {
        var random = new Random(seed);
        var weights = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        foreach (var (name, shape) in BackboneParameterShapes.For(config))
        {
            var count = (int)shape.Aggregate(1L, (a, b) => a * b);
            var isNormScale = name.EndsWith("norm.weight", StringComparison.Ordinal);
            var isGain = name.EndsWith("weight_g", StringComparison.Ordinal);
            var fanIn = shape.Length > 1 ? shape.Skip(1).Aggregate(1L, (a, b) => a * b) : 1;
            var scale = shape.Length > 1 && !isGain ? 1.0 / Math.Sqrt(fanIn) : 0.1;
            var data = new float[count];
            for (var i = 0; i < count; i++)
            {
                var u = ((random.NextDouble() * 2) - 1) * scale * Math.Sqrt(3);
                data[i] = (float)(isGain ? 0.5 + random.NextDouble() : isNormScale ? 1 + u : u);
            }

            weights[prefix + name] = new CheckpointTensor(data, shape);
        }

        return weights;
    }
}
