using Grpc.Core;
using S3Router.Api.V1;

namespace S3Router.Core.Tests.Masks;

/// <summary>
/// A registry that only knows PublishMask: with a <paramref name="refusal"/> (a Core exception, mapped by the service defaults) it reads the metadata message and throws it,
/// as the real registry does for a declared size over its limit; without one it reads every chunk and answers with the byte count.
/// </summary>
internal sealed class PublishOnlyRegistry(Exception? refusal) : S3Router.Api.V1.MaskRegistry.MaskRegistryBase
{
    public override async Task<PublishMaskResponse> PublishMask(IAsyncStreamReader<PublishMaskRequest> requestStream, ServerCallContext context)
    {
        await requestStream.MoveNext(context.CancellationToken);
        var metadata = requestStream.Current.Metadata;
        if (refusal is not null)
        {
            throw refusal;
        }
        long received = 0;
        while (await requestStream.MoveNext(context.CancellationToken))
        {
            received += requestStream.Current.Chunk.Length;
        }
        return new PublishMaskResponse
        {
            Version = new MaskVersion { Task = metadata.Task, LanguageCode = metadata.LanguageCode, Version = 1, SizeBytes = received },
            Created = true,
        };
    }
}
