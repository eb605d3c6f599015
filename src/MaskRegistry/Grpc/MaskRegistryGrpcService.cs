using Google.Protobuf;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Core.Analysis;
using S3Router.MaskRegistry.Auth;
using S3Router.MaskRegistry.Masks;

namespace S3Router.MaskRegistry.Grpc;

/// <summary>The <c>s3router.v1.MaskRegistry</c> handlers: each calls the catalog once and maps the result. Auth is the ApiKeyInterceptor's job.</summary>
internal sealed class MaskRegistryGrpcService(MaskCatalog catalog, MaskSimilarityAnalyzer analyzer) : S3Router.Api.V1.MaskRegistry.MaskRegistryBase
{
    public override async Task<RegisterBackboneResponse> RegisterBackbone(RegisterBackboneRequest request, ServerCallContext context)
    {
        var (backbone, created) = await catalog.RegisterBackboneAsync(request, CallerContext.NameOf(context), context.CancellationToken);
        return new RegisterBackboneResponse { Backbone = backbone, Created = created };
    }

    public override async Task<GetBackboneResponse> GetBackbone(GetBackboneRequest request, ServerCallContext context) =>
        new() { Backbone = await catalog.GetBackboneAsync(request.Digest, context.CancellationToken) };

    public override async Task<ListBackbonesResponse> ListBackbones(ListBackbonesRequest request, ServerCallContext context)
    {
        var page = await catalog.ListBackbonesAsync(request.PageSize, request.PageToken, context.CancellationToken);
        return new ListBackbonesResponse { Backbones = { page.Items }, NextPageToken = page.NextPageToken };
    }

    public override async Task<PublishMaskResponse> PublishMask(IAsyncStreamReader<PublishMaskRequest> requestStream, ServerCallContext context)
    {
        var (version, created) = await catalog.PublishAsync(requestStream, CallerContext.NameOf(context), context.CancellationToken);
        return new PublishMaskResponse { Version = version, Created = created };
    }

    public override async Task DownloadMask(DownloadMaskRequest request, IServerStreamWriter<DownloadMaskResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (version, content) = await catalog.OpenDownloadAsync(request.Task, request.LanguageCode, request.Ref, ct);
        await using (content)
        {
            await responseStream.WriteAsync(new DownloadMaskResponse { Version = version }, ct);
            var buffer = new byte[catalog.DownloadChunkBytes];
            int read;
            while ((read = await content.ReadAsync(buffer, ct)) > 0)
            {
                await responseStream.WriteAsync(new DownloadMaskResponse { Chunk = ByteString.CopyFrom(buffer, 0, read) }, ct);
                catalog.CountServed(read);
            }
        }
    }

    public override async Task<ResolveMaskResponse> ResolveMask(ResolveMaskRequest request, ServerCallContext context) =>
        new() { Version = await catalog.ResolveAsync(request.Task, request.LanguageCode, request.Ref, context.CancellationToken) };

    public override async Task<ListMaskRoutesResponse> ListMaskRoutes(ListMaskRoutesRequest request, ServerCallContext context)
    {
        var page = await catalog.ListRoutesAsync(request, context.CancellationToken);
        return new ListMaskRoutesResponse { Routes = { page.Items }, NextPageToken = page.NextPageToken };
    }

    public override async Task<ListMaskVersionsResponse> ListMaskVersions(ListMaskVersionsRequest request, ServerCallContext context)
    {
        var page = await catalog.ListVersionsAsync(request, context.CancellationToken);
        return new ListMaskVersionsResponse { Versions = { page.Items }, NextPageToken = page.NextPageToken };
    }

    public override async Task<SetAliasResponse> SetAlias(SetAliasRequest request, ServerCallContext context)
    {
        var (previous, version) = await catalog.SetAliasAsync(request, CallerContext.NameOf(context), context.CancellationToken);
        return new SetAliasResponse { PreviousVersion = previous, Version = version };
    }

    public override async Task<DeleteAliasResponse> DeleteAlias(DeleteAliasRequest request, ServerCallContext context) =>
        new() { PreviousVersion = await catalog.DeleteAliasAsync(request, CallerContext.NameOf(context), context.CancellationToken) };

    public override async Task<YankMaskVersionResponse> YankMaskVersion(YankMaskVersionRequest request, ServerCallContext context) =>
        new() { Version = await catalog.YankAsync(request, CallerContext.NameOf(context), context.CancellationToken) };

    public override async Task WatchMasks(WatchMasksRequest request, IServerStreamWriter<WatchMasksResponse> responseStream, ServerCallContext context)
    {
        var cursor = await catalog.StartWatchAsync(request, context.CancellationToken);
        // Headers tell the client the watch is established: every change committed from now on will arrive.
        await context.WriteResponseHeadersAsync([]);
        await foreach (var e in catalog.WatchAsync(request, cursor, context.CancellationToken))
        {
            await responseStream.WriteAsync(new WatchMasksResponse { Event = e }, context.CancellationToken);
        }
    }

    public override async Task<AnalyzeMaskSimilarityResponse> AnalyzeMaskSimilarity(AnalyzeMaskSimilarityRequest request, ServerCallContext context)
    {
        var (versions, result) = await analyzer.AnalyzeAsync(request.Routes, CallerContext.NameOf(context), context.CancellationToken);
        return new AnalyzeMaskSimilarityResponse
        {
            Routes = { versions.Select(v => new ResolvedRoute { Task = v.Task, LanguageCode = v.LanguageCode, Version = v.Version, Digest = v.Digest }) },
            Overall = MapMatrices(result.Overall),
            Layers = { result.Layers.Select(l => new LayerMaskSimilarity { Layer = l.Layer!.Value, Similarity = MapMatrices(l) }) },
            Tensors = { result.Tensors.Select(MapTensor) },
            SkippedTensors = { result.SkippedTensors.Select(t => new Api.V1.SkippedMaskTensor { Name = t.Name, MaskedBy = { t.MaskedBy } }) },
        };
    }

    private static MaskSimilarityMatrices MapMatrices(MaskSimilarityScope scope) =>
        new() { Jaccard = { scope.Jaccard.RowMajor }, Hamming = { scope.Hamming.RowMajor } };

    private static TensorMaskSimilarity MapTensor(MaskSimilarityScope scope)
    {
        var tensor = new TensorMaskSimilarity { Name = scope.Name, Similarity = MapMatrices(scope) };
        if (scope.Layer is { } layer)
        {
            tensor.Layer = layer;
        }
        return tensor;
    }
}
