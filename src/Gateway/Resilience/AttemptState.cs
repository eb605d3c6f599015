using Polly;

namespace S3Router.Gateway.Resilience;

/// <summary>What the attempts of one call share: the endpoints already tried (so a retry or hedge moves on) and the count.</summary>
internal sealed class AttemptState
{
    private static readonly ResiliencePropertyKey<string> LastEndpoint = new("s3router.endpoint");

    private readonly Lock _lock = new();
    private readonly List<Routing.InferenceEndpoint> _tried = [];

    /// <summary>A copy of the endpoints tried so far (hedged attempts add to it concurrently).</summary>
    public Routing.InferenceEndpoint[] Tried
    {
        get
        {
            lock (_lock)
            {
                return [.. _tried];
            }
        }
    }

    public void Add(Routing.InferenceEndpoint endpoint, ResilienceContext context)
    {
        lock (_lock)
        {
            _tried.Add(endpoint);
        }
        context.Properties.Set(LastEndpoint, endpoint.Address);
    }

    /// <summary>The endpoints tried, for error messages.</summary>
    public string Describe() => string.Join(", ", Tried.Select(e => e.Address));

    /// <summary>The endpoint of the attempt that ran on <paramref name="context"/>, for logs.</summary>
    public static string EndpointOf(ResilienceContext context) =>
        context.Properties.TryGetValue(LastEndpoint, out var endpoint) ? endpoint : "?";
}
