using S3Router.Api.V1;

namespace S3Router.MaskRegistry.Storage;

/// <summary>
/// The registry's metadata: backbones, versions, aliases and the event log. Every change is written in one
/// transaction together with its events, whose revisions increase in commit order. Failed compare-and-set and
/// missing rows surface as typed Core exceptions.
/// </summary>
internal interface IRegistryRepository
{
    /// <summary>Creates or migrates the schema; called lazily by every other method, once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>True when the database answers.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>Inserts the backbone unless one with its digest exists; returns the stored one.</summary>
    Task<(Backbone Backbone, bool Created)> RegisterBackboneAsync(Backbone backbone, CancellationToken cancellationToken);

    Task<Backbone?> GetBackboneAsync(string digest, CancellationToken cancellationToken);

    Task<Page<Backbone>> ListBackbonesAsync(int pageSize, string pageToken, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="candidate"/> under the route's next version (its version number is ignored) with a
    /// published event, and points <paramref name="setAlias"/> at it when given. When the digest is stored already,
    /// returns that version with Created = false (and still moves the alias).
    /// </summary>
    Task<(MaskVersion Version, bool Created)> PublishAsync(MaskVersion candidate, string? setAlias, CancellationToken cancellationToken);

    Task<MaskVersion?> GetVersionAsync(string task, string languageCode, long version, CancellationToken cancellationToken);

    Task<MaskVersion?> GetVersionByDigestAsync(string digest, CancellationToken cancellationToken);

    /// <summary>The version an alias points at, or null when the alias does not exist.</summary>
    Task<long?> GetAliasAsync(string task, string languageCode, string alias, CancellationToken cancellationToken);

    /// <summary>The route's versions, newest first.</summary>
    Task<Page<MaskVersion>> ListVersionsAsync(string task, string languageCode, bool includeYanked, int pageSize, string pageToken, CancellationToken cancellationToken);

    /// <summary>Routes ordered by task then language; empty filters match all.</summary>
    Task<Page<MaskRoute>> ListRoutesAsync(string task, string languageCode, int pageSize, string pageToken, CancellationToken cancellationToken);

    /// <summary>Points the alias at a non-yanked version; with <paramref name="expectedVersion"/> only if it points there now (0: absent).</summary>
    Task<(long PreviousVersion, MaskVersion Version)> SetAliasAsync(string task, string languageCode, string alias, long version, long? expectedVersion, CancellationToken cancellationToken);

    /// <summary>Deletes the alias; with <paramref name="expectedVersion"/> only if it points there now. Returns the version it pointed at.</summary>
    Task<long> DeleteAliasAsync(string task, string languageCode, string alias, long? expectedVersion, CancellationToken cancellationToken);

    /// <summary>Yanks or unyanks a version; no event when it is in that state already.</summary>
    Task<MaskVersion> SetYankedAsync(string task, string languageCode, long version, bool yanked, string reason, CancellationToken cancellationToken);

    /// <summary>Events with a revision greater than <paramref name="afterRevision"/>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<MaskEvent>> ReadEventsAsync(long afterRevision, int limit, CancellationToken cancellationToken);

    /// <summary>The latest revision (0 before the first change).</summary>
    Task<long> GetRevisionAsync(CancellationToken cancellationToken);

    /// <summary>Digests of every stored version, for orphan collection.</summary>
    Task<IReadOnlySet<string>> ListVersionDigestsAsync(CancellationToken cancellationToken);
}
