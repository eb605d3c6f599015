using Grpc.Core;
using S3Router.Api.V1;
using S3Router.MaskRegistry.Tests.TestSupport;

namespace S3Router.MaskRegistry.Tests.Functional;

/// <summary>WatchMasks: replay, the switch to live events, resume after a disconnect, filters, and replicas on PostgreSQL.</summary>
public sealed class WatchMasksTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _hosts = [];
    private RegistryHost _host = null!;
    private string _backbone = "";

    public async ValueTask InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        _hosts.Add(_host);
        _backbone = await _host.RegisterBackboneAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task WatchMasks_ResumeAfterDisconnect_DeliversEveryEventExactlyOnceInOrder()
    {
        await _host.PublishAsync(TestBundle.For(_backbone), setAlias: "production"); // revisions 1, 2
        await _host.PublishAsync(TestBundle.For(_backbone)); // 3
        var first = await ReadAsync(_host, new WatchMasksRequest { AfterRevision = 0 }, count: 2);
        var last = first[^1].Revision;

        // Changes while disconnected, then more while the resumed watcher switches from replay to live.
        await _host.Client.YankMaskVersionAsync(new YankMaskVersionRequest { Task = "asr", LanguageCode = "en", Version = 2, Reason = "bad" }, cancellationToken: TestContext.Current.CancellationToken);
        var during = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await _host.PublishAsync(TestBundle.For(_backbone, language: i % 2 == 0 ? "en" : "de"));
            }
        }, TestContext.Current.CancellationToken);
        const long total = 3 + 1 + 10;
        var resumed = await ReadAsync(_host, new WatchMasksRequest { AfterRevision = last }, count: (int)(total - last));
        await during;

        Assert.Equal([1L, 2L], first.Select(e => e.Revision));
        Assert.Equal(Enumerable.Range((int)last + 1, (int)(total - last)).Select(i => (long)i), resumed.Select(e => e.Revision));
        Assert.Equal(MaskEventType.AliasSet, first[1].Type);
        Assert.Equal(MaskEventType.Yanked, resumed[1].Type);
    }

    [Fact]
    public async Task WatchMasks_WithoutRevision_OnlyChangesFromNowOnAndFiltered()
    {
        await _host.PublishAsync(TestBundle.For(_backbone));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        using var call = _host.Client.WatchMasks(new WatchMasksRequest { LanguageCode = "de" }, cancellationToken: cts.Token);
        // The server reads the current revision when the call starts; wait until it answers headers so "now" is fixed.
        await call.ResponseHeadersAsync;

        await _host.PublishAsync(TestBundle.For(_backbone, language: "en"));
        var german = await _host.PublishAsync(TestBundle.For(_backbone, language: "de"));
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));

        Assert.Equal("de", call.ResponseStream.Current.Event.LanguageCode);
        Assert.Equal(german.Version.Digest, call.ResponseStream.Current.Event.Digest);
        Assert.Equal(3, call.ResponseStream.Current.Event.Revision);
    }

    [Fact]
    public async Task WatchMasks_TwoReplicasOnOnePostgres_WatcherSeesOtherReplicasChanges()
    {
        var (connectionString, dropSchema) = await TestDatabases.PostgresSchemaAsync();
        var settings = new Dictionary<string, string?>
        {
            ["MaskRegistry:Provider"] = "Postgres",
            ["MaskRegistry:ConnectionString"] = connectionString,
            ["MaskRegistry:WatchPollInterval"] = "00:00:00.100",
        };
        var a = await RegistryHost.StartAsync(settings);
        var b = await RegistryHost.StartAsync(settings);
        _hosts.Add(b);
        _hosts.Add(a);
        _hosts.Add(new AsyncCleanup(dropSchema));
        var backbone = await a.RegisterBackboneAsync();

        var watching = ReadAsync(a, new WatchMasksRequest { AfterRevision = 0 }, count: 2);
        await b.PublishAsync(TestBundle.For(backbone), setAlias: "production");
        var events = await watching;

        Assert.Equal([MaskEventType.Published, MaskEventType.AliasSet], events.Select(e => e.Type));
    }

    private static async Task<List<MaskEvent>> ReadAsync(RegistryHost host, WatchMasksRequest request, int count)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        using var call = host.Client.WatchMasks(request, cancellationToken: cts.Token);
        var events = new List<MaskEvent>();
        while (events.Count < count && await call.ResponseStream.MoveNext(cts.Token))
        {
            events.Add(call.ResponseStream.Current.Event);
        }
        return events; // disposing the call cancels it: the disconnect
    }

    private sealed class AsyncCleanup(Func<Task> cleanup) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await cleanup();
    }
}
