using Grpc.Core;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Errors;

namespace S3Router.InferenceService.Inference.Routes;

/// <summary>
/// The registry calls this pod makes, with its API key, and the registry's errors turned into what the caller of
/// this pod should see (an unknown route stays NOT_FOUND; an unreachable registry is UNAVAILABLE).
/// </summary>
internal sealed class MaskRegistrySource(Api.V1.MaskRegistry.MaskRegistryClient client, IOptions<InferenceOptions> options)
{
    private readonly Metadata? _headers = string.IsNullOrEmpty(options.Value.RegistryApiKey)
        ? null
        : new Metadata { { "x-api-key", options.Value.RegistryApiKey } };

    /// <summary>Resolves (task, language, ref) to one version.</summary>
    public async Task<MaskVersion> ResolveAsync(string task, string language, string reference, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.ResolveMaskAsync(
                new ResolveMaskRequest { Task = task, LanguageCode = language, Ref = reference }, _headers, cancellationToken: cancellationToken);
            return response.Version;
        }
        catch (RpcException e)
        {
            throw Map(e, $"route {task}/{language}" + (reference.Length > 0 ? $" ({reference})" : ""), cancellationToken);
        }
    }

    /// <summary>Downloads the bundle of <paramref name="version"/> by its digest.</summary>
    public async Task<byte[]> DownloadAsync(MaskVersion version, CancellationToken cancellationToken)
    {
        var route = $"route {version.Task}/{version.LanguageCode} v{version.Version}";
        var limit = options.Value.MaxBundleBytes;
        if (version.SizeBytes > limit)
        {
            throw new FailedPreconditionException($"The bundle of {route} is {version.SizeBytes} bytes, over this pod's limit of {limit}.");
        }

        try
        {
            using var call = client.DownloadMask(
                new DownloadMaskRequest { Task = version.Task, LanguageCode = version.LanguageCode, Ref = version.Digest },
                _headers, cancellationToken: cancellationToken);
            using var bytes = new MemoryStream(checked((int)Math.Max(version.SizeBytes, 0)));
            await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                if (message.ContentCase == DownloadMaskResponse.ContentOneofCase.Chunk)
                {
                    if (bytes.Length + message.Chunk.Length > limit)
                    {
                        throw new FailedPreconditionException($"The bundle of {route} exceeds this pod's limit of {limit} bytes.");
                    }

                    message.Chunk.WriteTo(bytes);
                }
            }

            // Sized from the registry's record: when it was right, the buffer is the bundle (no second large copy).
            return bytes.Length == bytes.Capacity ? bytes.GetBuffer() : bytes.ToArray();
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
            return await client.ListMaskRoutesAsync(request, _headers, cancellationToken: cancellationToken);
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

        return client.WatchMasks(request, _headers, cancellationToken: cancellationToken);
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
