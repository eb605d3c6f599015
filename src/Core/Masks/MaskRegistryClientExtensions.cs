using Google.Protobuf;
using Grpc.Core;
using S3Router.Api.V1;

namespace S3Router.Core.Masks;

/// <summary>The one PublishMask upload loop, shared by <c>s3r masks publish</c>, the training service's publisher and the tests.</summary>
public static class MaskRegistryClientExtensions
{
    /// <summary>Chunk size of <see cref="PublishBundleAsync"/> unless told otherwise: 1 MiB (the registry accepts up to 4 MiB).</summary>
    public const int DefaultChunkBytes = 1024 * 1024;

    /// <summary>
    /// Publishes <paramref name="bundle"/>: <paramref name="metadata"/> first, then the bytes in chunks of
    /// <paramref name="chunkBytes"/> bytes (default 1 MiB). Throws the registry's <see cref="RpcException"/> when it refuses.
    /// </summary>
    public static async Task<PublishMaskResponse> PublishBundleAsync(
        this MaskRegistry.MaskRegistryClient client, PublishMaskMetadata metadata, ReadOnlyMemory<byte> bundle, CallOptions options,
        int chunkBytes = DefaultChunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkBytes);
        using var call = client.PublishMask(options);
        try
        {
            await call.RequestStream.WriteAsync(new PublishMaskRequest { Metadata = metadata }, options.CancellationToken);
            for (var offset = 0; offset < bundle.Length; offset += chunkBytes)
            {
                var chunk = bundle.Slice(offset, Math.Min(chunkBytes, bundle.Length - offset));
                await call.RequestStream.WriteAsync(new PublishMaskRequest { Chunk = ByteString.CopyFrom(chunk.Span) }, options.CancellationToken);
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (EndedByServer(ex, options.CancellationToken))
        {
            // The registry may refuse (e.g. the declared size) while chunks are still going out. A write that fails before
            // the client has read the answer reports CANCELLED (or an I/O error) instead of it: the response carries the
            // real status, so await it, which throws that status' RpcException.
            await call.ResponseAsync;
            throw;
        }
        return await call.ResponseAsync;
    }

    /// <summary>
    /// Whether a failed write means the call has ended on the server's side, so its response holds the real status:
    /// CANCELLED that the caller did not ask for, or a transport error. Any other status (e.g. DEADLINE_EXCEEDED, or a
    /// message over the channel's send limit) is already the real one, and the call may still be open.
    /// </summary>
    private static bool EndedByServer(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && ex is RpcException { StatusCode: StatusCode.Cancelled } or IOException or HttpRequestException or InvalidOperationException;
}
