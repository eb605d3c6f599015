using Grpc.Core;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Errors;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// The registry calls this pod makes, with its API key, and the registry's errors turned into what the caller of
/// this pod should see (an unknown route stays NOT_FOUND; an unreachable registry is UNAVAILABLE).
/// </summary>
internal sealed class MaskRegistrySource(CallInvoker registry, IOptions<InferenceOptions> options)
{
    private readonly Api.V1.MaskRegistry.MaskRegistryClient _client = new(registry);
    private readonly Metadata? _headers = string.IsNullOrEmpty(options.Value.RegistryApiKey)
        ? null
        : new Metadata { { "x-api-key", options.Value.RegistryApiKey } };

    /// <summary>Resolves (task, language, ref) to one version.</summary>
    public async Task<MaskVersion> ResolveAsync(string task, string language, string reference, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.ResolveMaskAsync(
                new ResolveMaskRequest { Task = task, LanguageCode = language, Ref = reference }, _headers, cancellationToken: cancellationToken);
            return response.Version;
        }
        catch (RpcException e)
        {
            throw Map(e, $"route {task}/{language}" + (reference.Length > 0 ? $" ({reference})" : ""), cancellationToken);
        }
    }

    /// <summary>
    /// Downloads the bundle of <paramref name="version"/> by its digest into one array of the registry's size, which the
    /// caller keeps as the route's storage: each chunk is copied into it once from a pooled buffer, nothing else large is
    /// allocated. A download of another length than the registry said comes back at its own length (its digest then
    /// fails the check in <see cref="RouteModel.Create"/>).
    /// </summary>
    /// <exception cref="FailedPreconditionException">The registry's size or the bytes received are over <see cref="InferenceOptions.MaxBundleBytes"/>.</exception>
    public async Task<byte[]> DownloadAsync(MaskVersion version, CancellationToken cancellationToken)
    {
        var route = $"route {version.Task}/{version.LanguageCode} v{version.Version}";
        var limit = Math.Min(options.Value.MaxBundleBytes, Array.MaxLength); // one array holds the bundle
        if (version.SizeBytes > limit)
        {
            throw new FailedPreconditionException($"The bundle of {route} is {version.SizeBytes} bytes, over this pod's limit of {limit}.");
        }

        try
        {
            using var call = registry.AsyncServerStreamingCall(
                BundleChunks.DownloadMask, null, new CallOptions(_headers, cancellationToken: cancellationToken),
                new DownloadMaskRequest { Task = version.Task, LanguageCode = version.LanguageCode, Ref = version.Digest });
            // Sized from the registry's record (at most the limit, checked above).
            var bytes = version.SizeBytes > 0 ? GC.AllocateUninitializedArray<byte>((int)version.SizeBytes) : [];
            var length = 0;
            await foreach (var part in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                try
                {
                    if (!part.IsChunk)
                    {
                        continue;
                    }

                    if ((long)length + part.Length > limit)
                    {
                        throw new FailedPreconditionException($"The bundle of {route} exceeds this pod's limit of {limit} bytes.");
                    }

                    if (length + part.Length > bytes.Length)
                    {
                        // More than the registry said: kept so the digest check names the mismatch.
                        Array.Resize(ref bytes, (int)Math.Min(limit, Math.Max(2L * bytes.Length, (long)length + part.Length)));
                    }

                    part.Bytes.CopyTo(bytes.AsSpan(length));
                    length += part.Length;
                }
                finally
                {
                    part.Return();
                }
            }

            return length == bytes.Length ? bytes : bytes.AsSpan(0, length).ToArray();
        }
        catch (RpcException e)
        {
            throw Map(e, route, cancellationToken);
        }
    }

    /// <summary>One page of the registry's routes.</summary>
    public async Task<ListMaskRoutesResponse> ListRoutesAsync(ListMaskRoutesRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.ListMaskRoutesAsync(request, _headers, cancellationToken: cancellationToken);
        }
        catch (RpcException e)
        {
            throw Map(e, "the route list", cancellationToken);
        }
    }

    /// <summary>Opens the registry's change stream after <paramref name="afterRevision"/> (or from now).</summary>
    public AsyncServerStreamingCall<WatchMasksResponse> Watch(long? afterRevision, CancellationToken cancellationToken)
    {
        var request = new WatchMasksRequest();
        if (afterRevision is { } revision)
        {
            request.AfterRevision = revision;
        }

        return _client.WatchMasks(request, _headers, cancellationToken: cancellationToken);
    }

    private static Exception Map(RpcException e, string what, CancellationToken cancellationToken) => e.StatusCode switch
    {
        StatusCode.NotFound => new NotFoundException($"Unknown {what}: {e.Status.Detail}", e),
        StatusCode.InvalidArgument => new InvalidInputException($"Bad {what}: {e.Status.Detail}", "mask_ref", e),
        StatusCode.FailedPrecondition => new FailedPreconditionException($"Cannot use {what}: {e.Status.Detail}", e),
        StatusCode.Cancelled when cancellationToken.IsCancellationRequested => new OperationCanceledException(cancellationToken),
        _ => new UnavailableException($"The mask registry could not serve {what} ({e.StatusCode}); retry shortly.", e),
    };
}
