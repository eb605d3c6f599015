using System.Diagnostics;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Core.Routes;
using S3Router.MaskRegistry.Storage;
using S3Router.MaskRegistry.Telemetry;

namespace S3Router.MaskRegistry.Masks;

/// <summary>
/// The registry's domain operations: validation, the publish pipeline (stream to disk while hashing, verify, parse,
/// check against the backbone, commit), ref resolution, downloads of verified blobs and the watch stream.
/// </summary>
internal sealed class MaskCatalog(
    IRegistryRepository repository, BlobStore blobs, IBundleInspector inspector, ChangeNotifier notifier,
    IOptions<MaskRegistryOptions> options, TimeProvider time, MaskRegistryMetrics metrics, ILogger<MaskCatalog> logger)
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;
    private const int WatchBatch = 500;

    /// <summary>Size of the chunks a download is sent in.</summary>
    public int DownloadChunkBytes => options.Value.DownloadChunkBytes;

    /// <summary>Counts bytes sent to a downloader.</summary>
    public void CountServed(int bytes) => metrics.BlobBytesOut(bytes);

    public async Task<(Backbone Backbone, bool Created)> RegisterBackboneAsync(RegisterBackboneRequest request, string creator, CancellationToken cancellationToken)
    {
        var violations = new List<FieldViolation>();
        RouteNames.CheckDigest(request.Digest, "digest", violations);
        CheckBackboneName(request.Name, "name", violations);
        if (string.IsNullOrWhiteSpace(request.ConfigJson))
        {
            violations.Add(new("config_json", "is required: the backbone's Hugging Face config.json text"));
        }
        if (request.Tensors.Count == 0)
        {
            violations.Add(new("tensors", "is required: the name and shape of every tensor of model.safetensors"));
        }
        for (var i = 0; i < request.Tensors.Count; i++)
        {
            var t = request.Tensors[i];
            if (string.IsNullOrEmpty(t.Name) || t.Dims.Any(d => d < 0))
            {
                violations.Add(new($"tensors[{i}]", "needs a name and non-negative dims"));
            }
        }
        InvalidInputException.ThrowIfAny(violations);
        long parameters = 0;
        foreach (var t in request.Tensors)
        {
            parameters += t.Dims.Aggregate(1L, (a, d) => a * d);
        }
        var backbone = new Backbone
        {
            Digest = request.Digest,
            Name = request.Name,
            ConfigJson = request.ConfigJson,
            Tensors = { request.Tensors },
            ParameterCount = parameters,
            Creator = creator,
        };
        return await repository.RegisterBackboneAsync(backbone, cancellationToken);
    }

    public async Task<Backbone> GetBackboneAsync(string digest, CancellationToken cancellationToken)
    {
        var violations = new List<FieldViolation>();
        RouteNames.CheckDigest(digest, "digest", violations);
        InvalidInputException.ThrowIfAny(violations);
        return await repository.GetBackboneAsync(digest, cancellationToken)
            ?? throw new NotFoundException($"No backbone {digest} is registered.");
    }

    public Task<Page<Backbone>> ListBackbonesAsync(int pageSize, string pageToken, CancellationToken cancellationToken) =>
        repository.ListBackbonesAsync(PageSize(pageSize), pageToken, cancellationToken);

    public async Task<(MaskVersion Version, bool Created)> PublishAsync(IAsyncStreamReader<PublishMaskRequest> requests, string creator, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await PublishCoreAsync(requests, creator, cancellationToken);
            metrics.Published(result.Created ? "created" : "existing", Stopwatch.GetElapsedTime(started));
            return result;
        }
        catch (Exception ex)
        {
            metrics.Published(StatusOf(ex, cancellationToken), Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    public async Task<MaskVersion> ResolveAsync(string task, string languageCode, string reference, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var version = await ResolveCoreAsync(task, languageCode, reference, cancellationToken);
            metrics.Resolved("ok", Stopwatch.GetElapsedTime(started));
            return version;
        }
        catch (Exception ex)
        {
            metrics.Resolved(StatusOf(ex, cancellationToken), Stopwatch.GetElapsedTime(started));
            throw;
        }
    }

    /// <summary>Resolves and opens the verified blob; the caller disposes the stream.</summary>
    public async Task<(MaskVersion Version, Stream Content)> OpenDownloadAsync(string task, string languageCode, string reference, CancellationToken cancellationToken)
    {
        var version = await ResolveAsync(task, languageCode, reference, cancellationToken);
        return (version, await OpenBlobAsync(version, cancellationToken));
    }

    /// <summary>Opens the blob of a resolved version after checking its size and digest; the caller disposes the stream.</summary>
    public async Task<Stream> OpenBlobAsync(MaskVersion version, CancellationToken cancellationToken) =>
        await blobs.OpenVerifiedAsync(version.Digest, version.SizeBytes, cancellationToken);

    public async Task<Page<MaskRoute>> ListRoutesAsync(ListMaskRoutesRequest request, CancellationToken cancellationToken)
    {
        var violations = new List<FieldViolation>();
        if (request.Task.Length > 0)
        {
            RouteNames.CheckTask(request.Task, "task", violations);
        }
        if (request.LanguageCode.Length > 0)
        {
            RouteNames.CheckLanguage(request.LanguageCode, "language_code", violations);
        }
        var pageSize = PageSize(request.PageSize, violations);
        InvalidInputException.ThrowIfAny(violations);
        return await repository.ListRoutesAsync(request.Task, request.LanguageCode, pageSize, request.PageToken, cancellationToken);
    }

    public async Task<Page<MaskVersion>> ListVersionsAsync(ListMaskVersionsRequest request, CancellationToken cancellationToken)
    {
        var violations = RouteViolations(request.Task, request.LanguageCode);
        var pageSize = PageSize(request.PageSize, violations);
        InvalidInputException.ThrowIfAny(violations);
        return await repository.ListVersionsAsync(request.Task, request.LanguageCode, request.IncludeYanked, pageSize, request.PageToken, cancellationToken);
    }

    public async Task<(long PreviousVersion, MaskVersion Version)> SetAliasAsync(SetAliasRequest request, string caller, CancellationToken cancellationToken)
    {
        var violations = RouteViolations(request.Task, request.LanguageCode);
        RouteNames.CheckAlias(request.Alias, "alias", violations);
        if (request.Version < 1)
        {
            violations.Add(new("version", "must be a version number, 1 or more"));
        }
        if (request.HasExpectedVersion && request.ExpectedVersion < 0)
        {
            violations.Add(new("expected_version", "must be 0 (alias absent) or a version number"));
        }
        InvalidInputException.ThrowIfAny(violations);
        var result = await repository.SetAliasAsync(request.Task, request.LanguageCode, request.Alias, request.Version,
            request.HasExpectedVersion ? request.ExpectedVersion : null, cancellationToken);
        Log.AliasMoved(logger, request.Alias, request.Task, request.LanguageCode, result.PreviousVersion, request.Version, caller);
        return result;
    }

    public async Task<long> DeleteAliasAsync(DeleteAliasRequest request, string caller, CancellationToken cancellationToken)
    {
        var violations = RouteViolations(request.Task, request.LanguageCode);
        RouteNames.CheckAlias(request.Alias, "alias", violations);
        InvalidInputException.ThrowIfAny(violations);
        var previous = await repository.DeleteAliasAsync(request.Task, request.LanguageCode, request.Alias,
            request.HasExpectedVersion ? request.ExpectedVersion : null, cancellationToken);
        Log.AliasMoved(logger, request.Alias, request.Task, request.LanguageCode, previous, 0, caller);
        return previous;
    }

    public async Task<MaskVersion> YankAsync(YankMaskVersionRequest request, string caller, CancellationToken cancellationToken)
    {
        var violations = RouteViolations(request.Task, request.LanguageCode);
        if (request.Version < 1)
        {
            violations.Add(new("version", "must be a version number, 1 or more"));
        }
        if (!request.Unyank && string.IsNullOrWhiteSpace(request.Reason))
        {
            violations.Add(new("reason", "is required when yanking: tell users why"));
        }
        if (request.Reason.Length > 1000)
        {
            violations.Add(new("reason", "must be at most 1000 characters"));
        }
        InvalidInputException.ThrowIfAny(violations);
        var version = await repository.SetYankedAsync(request.Task, request.LanguageCode, request.Version, !request.Unyank, request.Reason, cancellationToken);
        Log.YankChanged(logger, request.Task, request.LanguageCode, request.Version, version.Yanked, caller);
        return version;
    }

    /// <summary>
    /// Events after <paramref name="cursor"/>, then live ones, each exactly once and in order: every batch is read
    /// from the database after the last revision sent, woken by local commits or by the poll (other replicas).
    /// </summary>
    public async IAsyncEnumerable<MaskEvent> WatchAsync(WatchMasksRequest request, long cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var _ = metrics.TrackWatcher();
        while (true)
        {
            var signal = notifier.NextChange; // taken before reading, so a commit after the read still wakes us
            var batch = await repository.ReadEventsAsync(cursor, WatchBatch, cancellationToken);
            foreach (var e in batch)
            {
                cursor = e.Revision;
                if ((request.Task.Length == 0 || e.Task == request.Task) && (request.LanguageCode.Length == 0 || e.LanguageCode == request.LanguageCode))
                {
                    yield return e;
                }
            }
            if (batch.Count == WatchBatch)
            {
                continue;
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(signal, Task.Delay(options.Value.WatchPollInterval, time, wait.Token));
            await wait.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Validates a watch request and returns its starting revision: after_revision, or the latest one now.</summary>
    public async Task<long> StartWatchAsync(WatchMasksRequest request, CancellationToken cancellationToken)
    {
        var violations = new List<FieldViolation>();
        if (request.Task.Length > 0)
        {
            RouteNames.CheckTask(request.Task, "task", violations);
        }
        if (request.LanguageCode.Length > 0)
        {
            RouteNames.CheckLanguage(request.LanguageCode, "language_code", violations);
        }
        if (request.HasAfterRevision && request.AfterRevision < 0)
        {
            violations.Add(new("after_revision", "must be 0 or more"));
        }
        InvalidInputException.ThrowIfAny(violations);

        return request.HasAfterRevision ? request.AfterRevision : await repository.GetRevisionAsync(cancellationToken);
    }

    private async Task<(MaskVersion Version, bool Created)> PublishCoreAsync(IAsyncStreamReader<PublishMaskRequest> requests, string creator, CancellationToken cancellationToken)
    {
        if (!await requests.MoveNext(cancellationToken) || requests.Current.ContentCase != PublishMaskRequest.ContentOneofCase.Metadata)
        {
            throw new InvalidInputException("The first message of PublishMask must carry the metadata (task, language_code, ...), then the bundle follows in chunks.", "metadata");
        }
        var meta = requests.Current.Metadata;
        var violations = RouteViolations(meta.Task, meta.LanguageCode, "metadata.");
        RouteNames.CheckDigest(meta.ExpectedDigest, "metadata.expected_digest", violations, required: false);
        if (meta.SetAlias.Length > 0)
        {
            RouteNames.CheckAlias(meta.SetAlias, "metadata.set_alias", violations);
        }
        if (meta.SizeBytes < 0)
        {
            violations.Add(new("metadata.size_bytes", "must be 0 (unknown) or the bundle's size in bytes"));
        }
        InvalidInputException.ThrowIfAny(violations);
        if (meta.SizeBytes > options.Value.MaxBundleBytes)
        {
            throw new ResourceExhaustedException($"The bundle has {meta.SizeBytes} bytes, more than the registry's limit of {options.Value.MaxBundleBytes} bytes (MaskRegistry:MaxBundleBytes).");
        }

        await using var upload = blobs.BeginUpload(options.Value.MaxBundleBytes);
        while (await requests.MoveNext(cancellationToken))
        {
            if (requests.Current.ContentCase != PublishMaskRequest.ContentOneofCase.Chunk)
            {
                throw new InvalidInputException("Only the first message of PublishMask may carry metadata; every later one must be a chunk.", "metadata");
            }
            await upload.WriteAsync(requests.Current.Chunk.Memory, cancellationToken);
        }
        await upload.CompleteAsync(cancellationToken);

        if (upload.Length == 0)
        {
            throw new InvalidInputException("No bundle bytes arrived: send the bundle in chunk messages after the metadata.", "chunk");
        }
        if (meta.SizeBytes > 0 && meta.SizeBytes != upload.Length)
        {
            throw new InvalidInputException($"The upload has {upload.Length} bytes but metadata.size_bytes says {meta.SizeBytes}: it was truncated or the size is wrong. Send the whole file again.", "metadata.size_bytes");
        }
        if (meta.ExpectedDigest.Length > 0 && meta.ExpectedDigest != upload.Digest)
        {
            throw new InvalidInputException($"The upload hashes to {upload.Digest}, not metadata.expected_digest {meta.ExpectedDigest}: the bytes were damaged or truncated on the way. Send the file again.", "metadata.expected_digest");
        }

        var bundle = inspector.Inspect(upload.TempPath);
        if (bundle.Task != meta.Task || bundle.LanguageCode != meta.LanguageCode)
        {
            throw new InvalidInputException($"The bundle is for {bundle.Task}/{bundle.LanguageCode} but the metadata says {meta.Task}/{meta.LanguageCode}.", "metadata.task");
        }
        var backbone = await repository.GetBackboneAsync(bundle.BackboneDigest, cancellationToken)
            ?? throw new FailedPreconditionException($"The bundle is for backbone {bundle.BackboneDigest}, which is not registered. Register it first (s3r backbones register DIR).");
        MaskBundle.CheckShapes(
            bundle.MaskedTensors.Select(t => (t.Name, t.Shape)),
            backbone.Tensors.ToDictionary(t => t.Name, t => t.Dims.ToArray(), StringComparer.Ordinal),
            $"bundle for {bundle.Task}/{bundle.LanguageCode} (backbone {backbone.Name}, {backbone.Digest})");

        var candidate = new MaskVersion
        {
            Task = meta.Task,
            LanguageCode = meta.LanguageCode,
            Digest = upload.Digest,
            SizeBytes = upload.Length,
            BackboneDigest = bundle.BackboneDigest,
            Creator = creator,
            HeadKind = bundle.HeadKind,
            LabelCount = bundle.LabelCount,
            MaskedTensors = { bundle.MaskedTensors.Select(t => new MaskedTensor { Name = t.Name, KeepRatio = t.KeepRatio }) },
            Lineage = bundle.Lineage,
            Metrics = { bundle.Metrics.ToDictionary() },
            Labels = { meta.Labels },
        };
        // The blob lands first: a crash before the row commits leaves an orphan for the collector, never a row without bytes.
        blobs.Commit(upload);
        var result = await repository.PublishAsync(candidate, meta.SetAlias.Length > 0 ? meta.SetAlias : null, cancellationToken);
        if (result.Created)
        {
            Log.Published(logger, result.Version.Task, result.Version.LanguageCode, result.Version.Version, result.Version.Digest, result.Version.SizeBytes, creator);
        }
        return result;
    }

    private async Task<MaskVersion> ResolveCoreAsync(string task, string languageCode, string reference, CancellationToken cancellationToken)
    {
        var violations = new List<FieldViolation>();
        var parsed = RouteNames.ParseMaskRef(reference, "ref", violations);
        var routeGiven = task.Length > 0 || languageCode.Length > 0;
        if (parsed.Digest is null || routeGiven)
        {
            violations.AddRange(RouteViolations(task, languageCode));
        }
        InvalidInputException.ThrowIfAny(violations);
        var route = $"{task}/{languageCode}";

        if (parsed.Digest is { } digest)
        {
            var byDigest = await repository.GetVersionByDigestAsync(digest, cancellationToken);
            if (byDigest is null || (routeGiven && (byDigest.Task != task || byDigest.LanguageCode != languageCode)))
            {
                throw new NotFoundException(routeGiven ? $"{route} has no version with digest {digest}." : $"No version has digest {digest}.");
            }
            return byDigest;
        }
        if (parsed.Alias is { } alias)
        {
            var target = await repository.GetAliasAsync(task, languageCode, alias, cancellationToken)
                ?? throw new NotFoundException(reference.Length == 0
                    ? $"{route} has no \"{MaskRef.DefaultAlias}\" alias; pass a ref (alias, version or digest) or set the alias."
                    : $"{route} has no alias \"{alias}\".");
            var version = await repository.GetVersionAsync(task, languageCode, target, cancellationToken)
                ?? throw new NotFoundException($"Alias \"{alias}\" of {route} points at version {target}, which does not exist.");
            if (version.Yanked)
            {
                throw new FailedPreconditionException($"Alias \"{alias}\" of {route} points at version {target}, which is yanked ({version.YankReason}). Move the alias to another version; the yanked one stays downloadable by digest.");
            }
            return version;
        }
        // An explicit version is a pin: served even when yanked (the response says so).
        return await repository.GetVersionAsync(task, languageCode, parsed.Version, cancellationToken)
            ?? throw new NotFoundException($"{route} has no version {parsed.Version}.");
    }

    // Backbone names are registry-only (not route names): 1 to 128 letters, digits, '.', '_' or '-'.
    private static void CheckBackboneName(string name, string field, List<FieldViolation> violations)
    {
        if (name.Length is 0 or > 128 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            violations.Add(new(field, "must be 1 to 128 letters, digits, '.', '_' or '-'"));
        }
    }

    private static List<FieldViolation> RouteViolations(string task, string languageCode, string prefix = "")
    {
        var violations = new List<FieldViolation>();
        RouteNames.CheckTask(task, prefix + "task", violations);
        RouteNames.CheckLanguage(languageCode, prefix + "language_code", violations);
        return violations;
    }

    private static int PageSize(int requested, List<FieldViolation>? violations = null)
    {
        if (requested < 0)
        {
            if (violations is null)
            {
                throw new InvalidInputException("page_size must be 0 (default 100) or more", "page_size");
            }
            violations.Add(new("page_size", "must be 0 (default 100) or more"));
            return DefaultPageSize;
        }
        return requested == 0 ? DefaultPageSize : Math.Min(requested, MaxPageSize);
    }

    private static string StatusOf(Exception ex, CancellationToken cancellationToken) =>
        RpcExceptionMapper.ToRpcException(ex, cancellationToken.IsCancellationRequested).StatusCode.ToString();
}
