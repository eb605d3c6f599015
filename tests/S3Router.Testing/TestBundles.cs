using S3Router.Core.Backbones;
using S3Router.Core.Masks;

namespace S3Router.Testing;

/// <summary>Route bundles (docs/formats.md) with seeded random keep-90% FFN masks and random heads: structure, not meaning.</summary>
public static class TestBundles
{
    /// <summary>A small CTC vocabulary: blank, the word separator and four letters.</summary>
    public static readonly IReadOnlyList<string> Vocabulary = ["<blank>", "|", "a", "b", "c", "d"];

    /// <summary>Class names of the speaker classifier.</summary>
    public static readonly IReadOnlyList<string> Speakers = ["alice", "bob", "carol"];

    /// <summary>An <c>asr/LANGUAGE</c> CTC bundle over <see cref="Vocabulary"/>.</summary>
    public static MaskBundle Ctc(Wav2Vec2Config config, string backboneHex, string language, int seed) => new()
    {
        Task = "asr",
        Language = language,
        BackboneDigest = backboneHex,
        HeadKind = MaskHeadKind.Ctc,
        Labels = [.. Vocabulary],
        Masks = FfnMasks(config, seed),
        Heads =
        [
            new HeadTensor("head.proj.weight", [Vocabulary.Count, config.HiddenSize], Uniform(seed, Vocabulary.Count * config.HiddenSize)),
            new HeadTensor("head.proj.bias", [Vocabulary.Count], Uniform(seed + 100, Vocabulary.Count)),
        ],
        Lineage = new MaskLineage { JobId = $"job-{seed}", PruneRate = 0.9 },
    };

    /// <summary>A <c>speaker/und</c> attentive-pooling classifier bundle over <see cref="Speakers"/>.</summary>
    public static MaskBundle SpeakerClassifier(Wav2Vec2Config config, string backboneHex, int seed) => new()
    {
        Task = "speaker",
        Language = "",
        BackboneDigest = backboneHex,
        HeadKind = MaskHeadKind.Classifier,
        Labels = [.. Speakers],
        Masks = FfnMasks(config, seed),
        Heads =
        [
            new HeadTensor("head.proj.weight", [Speakers.Count, config.HiddenSize], Uniform(seed, Speakers.Count * config.HiddenSize)),
            new HeadTensor("head.proj.bias", [Speakers.Count], Uniform(seed + 100, Speakers.Count)),
            new HeadTensor("head.attention.weight", [1, config.HiddenSize], Uniform(seed + 200, config.HiddenSize)),
            new HeadTensor("head.attention.bias", [1], [0f]),
        ],
    };

    /// <summary>Random keep-90% masks over every FFN weight (fix_attn), sorted by name as the training side writes them.</summary>
    public static List<MaskTensor> FfnMasks(Wav2Vec2Config config, int seed)
    {
        var random = new Random(seed);
        var masks = new List<MaskTensor>();
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            foreach (var (dense, shape) in new[]
            {
                ("intermediate_dense", new long[] { config.IntermediateSize, config.HiddenSize }),
                ("output_dense", new long[] { config.HiddenSize, config.IntermediateSize }),
            })
            {
                var bits = Enumerable.Range(0, (int)(shape[0] * shape[1])).Select(_ => random.NextDouble() < 0.9).ToArray();
                masks.Add(MaskTensor.FromBits($"encoder.layers.{layer}.feed_forward.{dense}.weight", shape, bits));
            }
        }

        return [.. masks.OrderBy(m => m.Name, StringComparer.Ordinal)];
    }

    private static float[] Uniform(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }
}
