using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using S3Router.Api.V1;
using S3Router.Testing;

namespace S3Router.Cli.Tests.Commands;

/// <summary>How a command reports a gRPC error of the server it calls (a registry on loopback that ends every call).</summary>
public sealed class GrpcCommandTests : IAsyncLifetime
{
    private LoopbackService _registry = null!;

    public async ValueTask InitializeAsync() =>
        _registry = await LoopbackService.StartAsync(
            [],
            builder => builder.Services.AddGrpc(),
            app => app.MapGrpcService<CancellingRegistry>(),
            TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _registry.DisposeAsync();

    [Fact]
    public async Task BackbonesList_ServerCancelsTheCall_ExitCodeOneAndTheServersMessage()
    {
        // Arrange
        using var error = new StringWriter();

        // Act: the user did not cancel, so CANCELLED is the server's answer, not a Ctrl+C to pass on.
        var exitCode = await CliApp.RunAsync(["backbones", "list", "--registry", _registry.Address], TextWriter.Null, error, TestContext.Current.CancellationToken);

        // Assert: one line on the writer the caller gave, not on the process's stderr.
        Assert.Equal(1, exitCode);
        Assert.Equal("error: Cancelled: the registry is shutting down", error.ToString().Trim());
    }

    [Fact]
    public async Task BackbonesList_CancelledByTheUser_Propagates()
    {
        // Arrange
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => CliApp.RunAsync(["backbones", "list", "--registry", _registry.Address], TextWriter.Null, TextWriter.Null, cancelled.Token));

        // Assert
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    private sealed class CancellingRegistry : Api.V1.MaskRegistry.MaskRegistryBase
    {
        public override Task<ListBackbonesResponse> ListBackbones(ListBackbonesRequest request, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.Cancelled, "the registry is shutting down"));
    }
}
