using S3Router.Core.Masks;

namespace S3Router.Bench;

/// <summary>More routes from the demo bundles: the same head under another task name, with a few mask bits flipped so every variant is its own mask (its own session).</summary>
internal static class RouteVariants
{
    /// <summary>A copy of <paramref name="bundle"/> as task <paramref name="task"/> with about 1 % of each mask's bits flipped (seeded).</summary>
    public static MaskBundle Variant(MaskBundle bundle, string task, int seed)
    {
        var random = new Random(seed);
        var masks = bundle.Masks.Select(m =>
        {
            var bits = m.Unpack();
            for (var i = 0; i < bits.Length; i++)
            {
                if (random.NextDouble() < 0.01)
                {
                    bits[i] = !bits[i];
                }
            }

            return MaskTensor.FromBits(m.Name, m.Shape, bits);
        }).ToList();
        return new MaskBundle
        {
            Task = task,
            Language = bundle.Language,
            BackboneDigest = bundle.BackboneDigest,
            HeadKind = bundle.HeadKind,
            Labels = bundle.Labels,
            Masks = masks,
            Heads = bundle.Heads,
            Lineage = bundle.Lineage,
            Metrics = bundle.Metrics,
        };
    }
}
