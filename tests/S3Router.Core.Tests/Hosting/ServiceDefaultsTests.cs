using System.Net;
using System.Net.Sockets;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Hosting;

namespace S3Router.Core.Tests.Hosting;

/// <summary>Hosts a real Kestrel server with the service defaults on loopback and calls it over h2c.</summary>
public sealed class ServiceDefaultsTests : IAsyncLifetime
{
    private readonly int _grpcPort = FreePort();
    private readonly int _metricsPort = FreePort();
    private WebApplication? _app;
    private GrpcChannel? _channel;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration["Service:ListenAddress"] = "127.0.0.1";
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults(_grpcPort, _metricsPort);
        _app = builder.Build();
        _app.MapDefaultEndpoints();
        _app.MapGrpcService<FailingSpeechService>();
        await _app.StartAsync(TestContext.Current.CancellationToken);
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_grpcPort}");
    }

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("ready")]
    [InlineData("live")]
    public async Task Health_ProbeServices_AreServing(string service)
    {
        var client = new Health.HealthClient(_channel);

        var reply = await client.CheckAsync(new HealthCheckRequest { Service = service }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Recognize_HandlerThrowsInvalidInput_ClientSeesInvalidArgumentWithFieldViolation()
    {
        var client = new Speech.SpeechClient(_channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.RecognizeAsync(new RecognizeRequest { Task = "asr" }, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal("audio", violation.Field);
    }

    [Fact]
    public async Task ListRoutes_HandlerThrowsUnexpected_ClientSeesGenericInternal()
    {
        var client = new Speech.SpeechClient(_channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.ListRoutesAsync(new ListRoutesRequest(), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal(RpcExceptionMapper.InternalMessage, error.Status.Detail);
    }

    [Fact]
    public async Task Metrics_OnMetricsPort_ServesPrometheusTextAndNotOnGrpcPort()
    {
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;
        await new Health.HealthClient(_channel).CheckAsync(new HealthCheckRequest(), cancellationToken: ct);

        var body = await http.GetStringAsync($"http://127.0.0.1:{_metricsPort}/metrics", ct);

        Assert.Contains("http_requests_received_total", body);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync($"http://127.0.0.1:{_grpcPort}/metrics", ct));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class FailingSpeechService : Speech.SpeechBase
    {
        public override Task<RecognizeResponse> Recognize(RecognizeRequest request, ServerCallContext context) =>
            throw new InvalidInputException("audio is empty", "audio");

        public override Task<ListRoutesResponse> ListRoutes(ListRoutesRequest request, ServerCallContext context) =>
            throw new InvalidOperationException("disk /var/secret is full");
    }
}
