using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Errors;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// Resolves (task, language, ref) through the registry and reuses the answer for <see cref="InferenceOptions.ResolveCacheTtl"/>;
/// WatchMasks events invalidate a route's answers at once. A resolution that races with an invalidation is returned
/// to its caller but not cached. While the registry is unreachable, the last answer it gave for a ref keeps being used
/// (and is cached again for the TTL, so the registry is not asked on every request): routes already served keep
/// serving through a registry outage.
/// </summary>
internal sealed class RouteResolver(MaskRegistrySource registry, IOptions<InferenceOptions> options, TimeProvider time)
{
    private readonly Dictionary<(string Task, string Language, string Ref), (MaskVersion Version, DateTimeOffset Expires)> _cache = [];
    private readonly Dictionary<(string Task, string Language, string Ref), MaskVersion> _lastKnown = [];
    private readonly Dictionary<(string Task, string Language), long> _generations = [];
    private readonly Lock _lock = new();
    private long _allGeneration;

    public async Task<MaskVersion> ResolveAsync(string task, string language, string reference, CancellationToken cancellationToken)
    {
        var key = (task, language, reference);
        long generation;
        lock (_lock)
        {
            if (_cache.TryGetValue(key, out var hit) && hit.Expires > time.GetUtcNow())
            {
                return hit.Version;
            }

            generation = _generations.GetValueOrDefault((task, language)) + _allGeneration;
        }

        MaskVersion version;
        try
        {
            version = await registry.ResolveAsync(task, language, reference, cancellationToken);
        }
        catch (UnavailableException)
        {
            lock (_lock)
            {
                if (!_lastKnown.TryGetValue(key, out var stale))
                {
                    throw;
                }

                version = stale;
            }
        }

        lock (_lock)
        {
            if (_generations.GetValueOrDefault((task, language)) + _allGeneration == generation)
            {
                _cache[key] = (version, time.GetUtcNow() + options.Value.ResolveCacheTtl);
                _lastKnown[key] = version;
            }
            else
            {
                _lastKnown.TryAdd(key, version);
            }
        }

        return version;
    }

    /// <summary>Forgets every cached ref of one route.</summary>
    public void Invalidate(string task, string language)
    {
        lock (_lock)
        {
            _generations[(task, language)] = _generations.GetValueOrDefault((task, language)) + 1;
            foreach (var key in _cache.Keys.Where(k => k.Task == task && k.Language == language).ToList())
            {
                _cache.Remove(key);
            }
        }
    }

    /// <summary>Forgets everything (after the watch stream was interrupted, events may have been missed).</summary>
    public void InvalidateAll()
    {
        lock (_lock)
        {
            _allGeneration++;
            _cache.Clear();
        }
    }
}
