using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.Testing;

namespace S3Router.Core.Tests.Masks;

/// <summary>
/// The shared upload loop against a registry on loopback that refuses right after the metadata. The client's channel hands
/// it the server's answer only after a failed chunk write has surfaced (<see cref="LateResponseHandler"/>), and the bundle
/// is far larger than HTTP/2 flow control lets through unread, so a write always fails before the status is read.
/// </summary>
public sealed class MaskRegistryClientExtensionsTests
{
    private const int BundleBytes = 8 * 1024 * 1024;
    private const int ChunkBytes = 64 * 1024;

    private static readonly PublishMaskMetadata Metadata = new() { Task = "asr", LanguageCode = "en", SizeBytes = BundleBytes };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PublishBundleAsync_RefusedWhileChunksAreWritten_ThrowsTheServersResourceExhausted()
    {
        await using var server = await StartAsync(new ResourceExhaustedException("The bundle is over the registry's limit (MaskRegistry:MaxBundleBytes)."));
        using var channel = LateChannel(server);

        var error = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(channel));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("MaskRegistry:MaxBundleBytes", error.Status.Detail);
    }

    [Fact]
    public async Task PublishBundleAsync_InvalidMetadataWhileChunksAreWritten_ThrowsInvalidArgumentWithTheField()
    {
        await using var server = await StartAsync(new InvalidInputException("task must be lower-case", "metadata.task"));
        using var channel = LateChannel(server);

        var error = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(channel));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("metadata.task", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task PublishBundleAsync_Accepted_ServerReceivesEveryByte()
    {
        await using var server = await StartAsync(refusal: null);
        using var channel = LateChannel(server);

        var response = await PublishAsync(channel);

        Assert.Equal(BundleBytes, response.Version.SizeBytes);
    }

    private static Task<PublishMaskResponse> PublishAsync(GrpcChannel channel) =>
        new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(channel)
            .PublishBundleAsync(Metadata, new byte[BundleBytes], new CallOptions(cancellationToken: Ct), ChunkBytes);

    private static GrpcChannel LateChannel(LoopbackService server) =>
        GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { HttpHandler = new LateResponseHandler() });

    private static Task<LoopbackService> StartAsync(Exception? refusal) =>
        LoopbackService.StartAsync(
            [],
            builder => builder.Services.AddSingleton(new PublishOnlyRegistry(refusal)),
            app => app.MapGrpcService<PublishOnlyRegistry>(),
            Ct);
}
