using Grpc.Health.V1;
using S3Router.Gateway.Tests.TestSupport;

namespace S3Router.Gateway.Tests.Functional;

public sealed class HostingTests
{
    [Fact]
    public async Task Metrics_AfterCalls_ExposeGatewayInstruments()
    {
        // Arrange
        await using var backend = await FakeBackend.StartAsync("a");
        await using var gateway = await GatewayHost.StartAsync([backend]);
        await gateway.Client.RecognizeAsync(Requests.Recognize(), cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient();

        // Act
        var text = await http.GetStringAsync($"http://127.0.0.1:{gateway.MetricsPort}/metrics", TestContext.Current.CancellationToken);

        // Assert
        Assert.Contains("s3router_gateway_requests_total{method=\"Recognize\",status=\"OK\"}", text);
        Assert.Contains("s3router_gateway_request_duration_seconds_bucket{method=\"Recognize\"", text);
        Assert.Contains($"s3router_gateway_endpoint_in_flight{{endpoint=\"{backend.Address}\"}} 0", text);
        Assert.Contains($"s3router_gateway_endpoint_circuit_state{{endpoint=\"{backend.Address}\"}} 0", text);
    }

    [Fact]
    public async Task Health_Ready_ServingWhenAnEndpointIsKnown()
    {
        await using var backend = await FakeBackend.StartAsync("a");
        await using var gateway = await GatewayHost.StartAsync([backend]);
        var health = new Health.HealthClient(gateway.Channel);

        var ready = await health.CheckAsync(new HealthCheckRequest { Service = "ready" }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, ready.Status);
    }

    [Fact]
    public async Task Start_BothEndpointListAndDnsName_RefusedAtStartup()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:Endpoints:0"] = "http://127.0.0.1:50052",
            ["Gateway:DnsName"] = "inference-headless",
        }));

        Assert.Contains("only one of Gateway:Endpoints and Gateway:DnsName", ex.ToString());
    }
}
