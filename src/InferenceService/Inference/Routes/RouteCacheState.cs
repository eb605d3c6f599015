namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// Both tiers of <see cref="RouteManager"/> at one moment: entries held (loaded or loading), the builders' byte
/// estimates, builds started (sessions built, bundles fetched) and evictions so far. The hot tier includes the pinned
/// unmasked session.
/// </summary>
internal sealed record RouteCacheState(
    int HotCount, long HotBytes, long HotBuilds, long HotEvictions, int ColdCount, long ColdBytes, long ColdBuilds, long ColdEvictions);
