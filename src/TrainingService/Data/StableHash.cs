using System.Text;

namespace S3Router.TrainingService.Data;

/// <summary>
/// FNV-1a 64-bit over UTF-8, so seeds and file names never depend on <see cref="string.GetHashCode()"/>
/// (randomized per process) or on the order in which a parallel loop reaches an item.
/// </summary>
internal static class StableHash
{
    private const ulong OffsetBasis = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    public static ulong Of(params ReadOnlySpan<string> parts)
    {
        var hash = OffsetBasis;
        foreach (var part in parts)
        {
            foreach (var b in Encoding.UTF8.GetBytes(part))
            {
                hash = (hash ^ b) * Prime;
            }
            // A separator byte that UTF-8 never produces, so ("ab","c") and ("a","bc") differ.
            hash = (hash ^ 0xFF) * Prime;
        }
        return hash;
    }

    /// <summary>A generator seeded from the corpus seed and the item's own key.</summary>
    public static Random Random(int seed, params ReadOnlySpan<string> parts)
    {
        var hash = Of([seed.ToString(System.Globalization.CultureInfo.InvariantCulture), .. parts]);
        return new Random((int)(hash ^ (hash >> 32)));
    }

    public static string Hex(params ReadOnlySpan<string> parts) => Of(parts).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Fisher–Yates shuffle of a copy; the input order must already be canonical (sorted).</summary>
    public static List<T> Shuffle<T>(IEnumerable<T> items, Random random)
    {
        var list = items.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }
}
