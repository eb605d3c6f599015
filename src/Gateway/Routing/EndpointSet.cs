using Microsoft.Extensions.Options;
using S3Router.Core.Errors;
using S3Router.Gateway.Telemetry;

namespace S3Router.Gateway.Routing;

/// <summary>
/// The inference endpoints currently known and the hash ring over them. Picks the endpoint of a call: the route's
/// owner on the ring unless its circuit is open, it is over its bounded load, or the call already tried it.
/// Updates swap an immutable snapshot, so picking never takes a lock.
/// </summary>
internal sealed class EndpointSet(EndpointFactory factory, IOptions<GatewayOptions> options, GatewayMetrics metrics, ILogger<EndpointSet> logger)
    : IDisposable
{
    private sealed record Snapshot(InferenceEndpoint[] Endpoints, HashRing Ring);

    private readonly Lock _updateLock = new();
    private volatile Snapshot _current = new([], new HashRing([], 1));

    /// <summary>The endpoints now in the set, in ring-index order.</summary>
    public IReadOnlyList<InferenceEndpoint> Endpoints => _current.Endpoints;

    /// <summary>Replaces the set: new addresses get a channel, known ones keep theirs, missing ones are retired.</summary>
    public void Update(IEnumerable<string> addresses)
    {
        lock (_updateLock)
        {
            var wanted = addresses.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            var old = _current.Endpoints.ToDictionary(e => e.Address, StringComparer.Ordinal);
            if (wanted.Length == old.Count && wanted.All(old.ContainsKey))
            {
                return;
            }
            var endpoints = wanted.Select(a => old.GetValueOrDefault(a) ?? factory.Create(a)).ToArray();
            _current = new Snapshot(endpoints, new HashRing(wanted, options.Value.VirtualNodes));
            var removed = old.Values.Where(e => !wanted.Contains(e.Address, StringComparer.Ordinal)).ToArray();
            foreach (var endpoint in removed)
            {
                endpoint.Retire();
                metrics.EndpointRemoved(endpoint.Address);
            }
            metrics.Endpoints(endpoints.Length);
            Log.EndpointsChanged(logger, endpoints.Length,
                string.Join(", ", wanted.Where(a => !old.ContainsKey(a))), string.Join(", ", removed.Select(e => e.Address)));
        }
    }

    /// <summary>
    /// Picks an endpoint for <paramref name="routeKey"/> and counts the call in; the caller must
    /// <see cref="InferenceEndpoint.Release"/> it. Endpoints in <paramref name="tried"/> are used only when no other
    /// healthy one is left. Throws <see cref="UnavailableException"/> when no endpoint can take the call.
    /// </summary>
    public InferenceEndpoint Acquire(string routeKey, IReadOnlyCollection<InferenceEndpoint> tried)
    {
        // A retired endpoint refuses TryAcquire; the next snapshot no longer has it, so a second pass succeeds.
        for (var pass = 0; pass < 3; pass++)
        {
            var snapshot = _current;
            var endpoints = snapshot.Endpoints;
            if (endpoints.Length == 0)
            {
                throw new UnavailableException("No inference endpoint is known: set Gateway:Endpoints or Gateway:DnsName, or wait until the DNS name resolves.");
            }
            var healthy = 0;
            long inFlight = 0;
            foreach (var e in endpoints)
            {
                if (!e.IsOpen)
                {
                    healthy++;
                    inFlight += e.InFlight;
                }
            }
            if (healthy == 0)
            {
                throw new UnavailableException($"Every inference endpoint ({endpoints.Length}) is failing and its circuit is open; retry in a few seconds.");
            }
            var capacity = BoundedLoad.Capacity(inFlight, healthy, options.Value.LoadFactor);
            var order = snapshot.Ring.Order(routeKey);
            var chosen = BoundedLoad.Choose(order, i => !endpoints[i].IsOpen && !tried.Contains(endpoints[i]), i => endpoints[i].InFlight, capacity);
            if (chosen < 0)
            {
                chosen = BoundedLoad.Choose(order, i => !endpoints[i].IsOpen, i => endpoints[i].InFlight, capacity);
            }
            if (chosen >= 0 && endpoints[chosen].TryAcquire())
            {
                return endpoints[chosen];
            }
        }
        throw new UnavailableException("The inference endpoints changed while picking one; retry.");
    }

    /// <summary>All endpoints in ring order for <paramref name="routeKey"/>, owner first, ignoring health and load.</summary>
    public IReadOnlyList<InferenceEndpoint> Order(string routeKey)
    {
        var snapshot = _current;
        return snapshot.Ring.Order(routeKey).Select(i => snapshot.Endpoints[i]).ToArray();
    }

    public void Dispose()
    {
        lock (_updateLock)
        {
            foreach (var endpoint in _current.Endpoints)
            {
                endpoint.Retire();
            }
            _current = new Snapshot([], new HashRing([], 1));
        }
    }
}
