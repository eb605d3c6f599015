using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using S3Router.Gateway.Routing;
using S3Router.Gateway.Tests.TestSupport;

namespace S3Router.Gateway.Tests.Routing;

public sealed class EndpointDiscoveryTests
{
    private sealed class FakeResolver : IHostResolver
    {
        private readonly Lock _lock = new();
        private TaskCompletionSource _resolved = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IPAddress[] Answer { get; set; } = [];

        public bool Fail { get; set; }

        public int Calls { get; private set; }

        /// <summary>Completes at the next resolution.</summary>
        public Task NextResolution
        {
            get
            {
                lock (_lock)
                {
                    return _resolved.Task;
                }
            }
        }

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            TaskCompletionSource done;
            lock (_lock)
            {
                Calls++;
                done = _resolved;
                _resolved = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            done.TrySetResult();
            return Fail ? Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)) : Task.FromResult(Answer);
        }
    }

    private static GatewayOptions DnsOptions() => new() { DnsName = "inference-headless.s3router.svc", DnsPort = 50052, DnsRefreshInterval = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task RefreshAsync_PodsChange_EndpointSetFollowsAndKeepsSurvivors()
    {
        // Arrange
        var options = DnsOptions();
        using var set = Components.EndpointSet(options);
        var resolver = new FakeResolver { Answer = [IPAddress.Parse("10.1.0.1"), IPAddress.Parse("10.1.0.2")] };
        using var discovery = new EndpointDiscovery(set, resolver, Options.Create(options), TimeProvider.System, NullLogger<EndpointDiscovery>.Instance);
        await discovery.RefreshAsync(TestContext.Current.CancellationToken);
        var survivor = set.Endpoints.Single(e => e.Address == "http://10.1.0.2:50052");
        var leaving = set.Endpoints.Single(e => e.Address == "http://10.1.0.1:50052");

        // Act
        resolver.Answer = [IPAddress.Parse("10.1.0.2"), IPAddress.Parse("10.1.0.3")];
        await discovery.RefreshAsync(TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(["http://10.1.0.2:50052", "http://10.1.0.3:50052"], set.Endpoints.Select(e => e.Address));
        Assert.Same(survivor, set.Endpoints[0]);
        Assert.True(leaving.IsRetired);
    }

    [Fact]
    public async Task RefreshAsync_ResolutionFails_KeepsKnownEndpoints()
    {
        var options = DnsOptions();
        using var set = Components.EndpointSet(options);
        var resolver = new FakeResolver { Answer = [IPAddress.Parse("10.1.0.1")] };
        using var discovery = new EndpointDiscovery(set, resolver, Options.Create(options), TimeProvider.System, NullLogger<EndpointDiscovery>.Instance);
        await discovery.RefreshAsync(TestContext.Current.CancellationToken);

        resolver.Fail = true;
        await discovery.RefreshAsync(TestContext.Current.CancellationToken);
        resolver.Fail = false;
        resolver.Answer = [];
        await discovery.RefreshAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["http://10.1.0.1:50052"], set.Endpoints.Select(e => e.Address));
    }

    [Fact]
    public async Task ExecuteAsync_RefreshIntervalPasses_ResolvesAgain()
    {
        // Arrange
        var options = DnsOptions();
        var time = new FakeTimeProvider();
        using var set = Components.EndpointSet(options, time);
        var resolver = new FakeResolver { Answer = [IPAddress.Parse("10.1.0.1")] };
        using var discovery = new EndpointDiscovery(set, resolver, Options.Create(options), time, NullLogger<EndpointDiscovery>.Instance);
        await discovery.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal(1, resolver.Calls);
        resolver.Answer = [IPAddress.Parse("10.1.0.9")];

        // Act: let the loop reach its delay, then move the clock past it
        var next = resolver.NextResolution;
        while (!next.IsCompleted)
        {
            time.Advance(options.DnsRefreshInterval);
            await Task.WhenAny(next, Task.Delay(10, TestContext.Current.CancellationToken));
        }
        await discovery.StopAsync(TestContext.Current.CancellationToken);

        // Assert
        Assert.True(resolver.Calls >= 2);
        Assert.Equal(["http://10.1.0.9:50052"], set.Endpoints.Select(e => e.Address));
    }

    [Fact]
    public async Task StartAsync_StaticEndpoints_NormalizesAddresses()
    {
        var options = new GatewayOptions { Endpoints = ["10.2.0.1:50052", "http://10.2.0.2:7000/"] };
        using var set = Components.EndpointSet(options);
        using var discovery = new EndpointDiscovery(set, new FakeResolver(), Options.Create(options), TimeProvider.System, NullLogger<EndpointDiscovery>.Instance);

        await discovery.StartAsync(TestContext.Current.CancellationToken);
        await discovery.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["http://10.2.0.1:50052", "http://10.2.0.2:7000"], set.Endpoints.Select(e => e.Address));
    }

    [Theory]
    [InlineData("10.0.0.1:50052", true)]
    [InlineData("https://pod.example:443", true)]
    [InlineData("ftp://10.0.0.1:21", false)]
    [InlineData("http://10.0.0.1:50052/speech", false)]
    [InlineData("", false)]
    public void TryNormalizeAddress_Input_AcceptsOnlyHttpBaseAddresses(string input, bool valid)
    {
        Assert.Equal(valid, GatewayOptions.TryNormalizeAddress(input, out _));
    }
}
