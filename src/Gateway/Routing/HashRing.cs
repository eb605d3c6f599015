using System.Text;

namespace S3Router.Gateway.Routing;

/// <summary>
/// A consistent-hash ring: every node owns <c>virtualNodes</c> points; a key belongs to the first point clockwise of
/// its hash. Adding or removing a node only moves the keys whose points it owned (Karger et al. 1997).
/// Hashes are FNV-1a 64 with a murmur3 finalizer: stable across processes and runtimes, unlike string.GetHashCode.
/// </summary>
internal sealed class HashRing
{
    private readonly ulong[] _points;
    private readonly int[] _owners;

    public HashRing(IReadOnlyList<string> nodes, int virtualNodes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodes, 1);
        Nodes = nodes;
        var ring = new List<(ulong Point, int Owner)>(nodes.Count * virtualNodes);
        for (var n = 0; n < nodes.Count; n++)
        {
            for (var v = 0; v < virtualNodes; v++)
            {
                ring.Add((Hash($"{nodes[n]}#{v}"), n));
            }
        }
        // Ties (astronomically rare) are broken by node name so every gateway replica builds the same ring.
        ring.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : string.CompareOrdinal(nodes[a.Owner], nodes[b.Owner]));
        _points = ring.Select(r => r.Point).ToArray();
        _owners = ring.Select(r => r.Owner).ToArray();
    }

    /// <summary>The nodes, indexed as in <see cref="Order"/>.</summary>
    public IReadOnlyList<string> Nodes { get; }

    /// <summary>Every node once, in ring order clockwise from <paramref name="key"/>: the key's owner first, then its fallbacks.</summary>
    public int[] Order(string key)
    {
        var count = Nodes.Count;
        var order = new int[count];
        if (count == 0)
        {
            return order;
        }
        var seen = new bool[count];
        var found = 0;
        var start = LowerBound(Hash(key));
        for (var i = 0; i < _points.Length && found < count; i++)
        {
            var owner = _owners[(start + i) % _points.Length];
            if (!seen[owner])
            {
                seen[owner] = true;
                order[found++] = owner;
            }
        }
        return order;
    }

    /// <summary>Stable 64-bit hash of a string's UTF-8 bytes.</summary>
    public static ulong Hash(string value)
    {
        const ulong offset = 14695981039346656037UL, prime = 1099511628211UL;
        var hash = offset;
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            hash = (hash ^ b) * prime;
        }
        // FNV alone clusters similar short strings ("asr/en", "asr/de"); the finalizer spreads them over the ring.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return hash;
    }

    private int LowerBound(ulong hash)
    {
        int lo = 0, hi = _points.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_points[mid] < hash)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo == _points.Length ? 0 : lo;
    }
}
