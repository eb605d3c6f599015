namespace S3Router.Gateway.Routing;

/// <summary>
/// Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, SODA 2018): no node takes more than
/// ceil(c × average) of the calls in flight; a key whose owner is full goes to the next node on the ring.
/// </summary>
internal static class BoundedLoad
{
    /// <summary>
    /// The most calls a node may hold once the new call is placed: ceil(<paramref name="factor"/> × (in flight + 1) / nodes).
    /// Always at least 1, and some node is always under it.
    /// </summary>
    public static int Capacity(long inFlight, int nodes, double factor) =>
        nodes <= 0 ? 0 : (int)Math.Min(int.MaxValue, Math.Ceiling(factor * (inFlight + 1) / nodes));

    /// <summary>
    /// Picks from <paramref name="order"/> (ring order for the key): the first allowed node under capacity, else the
    /// first allowed node at all (so excluded overload never turns into a failure); -1 when none is allowed.
    /// </summary>
    public static int Choose(ReadOnlySpan<int> order, Func<int, bool> allowed, Func<int, int> load, int capacity)
    {
        var fallback = -1;
        foreach (var node in order)
        {
            if (!allowed(node))
            {
                continue;
            }
            if (load(node) < capacity)
            {
                return node;
            }
            if (fallback < 0)
            {
                fallback = node;
            }
        }
        return fallback;
    }
}
