using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.MaskRegistry.Storage;
using S3Router.MaskRegistry.Tests.TestSupport;

namespace S3Router.MaskRegistry.Tests.Storage;

/// <summary>The one repository suite; <see cref="SqliteRepositoryTests"/> and <see cref="PostgresRepositoryTests"/> run it on each store.</summary>
public abstract class RepositoryContractTests : IAsyncLifetime
{
    private readonly List<Func<Task>> _cleanups = [];

    private protected abstract Task<(IRegistryRepository Repository, Func<Task> Cleanup)> OpenAsync(ChangeNotifier notifier);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var cleanup in _cleanups)
        {
            await cleanup();
        }
    }

    private protected async Task<IRegistryRepository> NewRepositoryAsync(ChangeNotifier? notifier = null)
    {
        var (repository, cleanup) = await OpenAsync(notifier ?? new ChangeNotifier());
        _cleanups.Add(cleanup);
        return repository;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Publish_TwoBundlesOnOneRoute_GetsVersionsOneAndTwoWithPublishedEvents()
    {
        var repo = await NewRepositoryAsync();

        var (first, created1) = await repo.PublishAsync(Samples.Version(), null, Ct);
        var (second, created2) = await repo.PublishAsync(Samples.Version(), null, Ct);

        Assert.True(created1 && created2);
        Assert.Equal([1L, 2L], new[] { first.Version, second.Version });
        var events = await repo.ReadEventsAsync(0, 100, Ct);
        Assert.Equal([1L, 2L], events.Select(e => e.Revision));
        Assert.All(events, e => Assert.Equal(MaskEventType.Published, e.Type));
        Assert.Equal(second.Digest, events[1].Digest);
        var stored = await repo.GetVersionAsync("asr", "en", 2, Ct);
        Assert.NotNull(stored);
        Assert.Equal(0.25, stored.Metrics["test_cer"]);
        Assert.Equal(TestBundle.FfnName, Assert.Single(stored.MaskedTensors).Name);
    }

    [Fact]
    public async Task Publish_LineageWithTorchThreads_GetAndListReturnTheThreadCount()
    {
        // Arrange: v1 as bundles were published before torch_threads existed, v2 from a job that recorded 2 threads.
        var repo = await NewRepositoryAsync();
        var recorded = Samples.Version();
        recorded.Lineage.TorchThreads = 2;
        await repo.PublishAsync(Samples.Version(), null, Ct);
        await repo.PublishAsync(recorded, null, Ct);

        // Act
        var stored = await repo.GetVersionAsync("asr", "en", 2, Ct);
        var byDigest = await repo.GetVersionByDigestAsync(recorded.Digest, Ct);
        var listed = await repo.ListVersionsAsync("asr", "en", includeYanked: false, pageSize: 10, pageToken: "", Ct);

        // Assert
        Assert.Equal(2, stored?.Lineage.TorchThreads);
        Assert.Equal(2, byDigest?.Lineage.TorchThreads);
        Assert.Equal([(1L, 0), (2L, 2)], listed.Items.Select(v => (v.Version, v.Lineage.TorchThreads)).Order());
        Assert.Equal("job-1", stored?.Lineage.JobId);
    }

    [Fact]
    public async Task Publish_LineageWithOneDnnLevel_GetAndListReturnTheLevel()
    {
        // Arrange: v1 as bundles were published before onednn_max_isa existed, v2 from a job with oneDNN capped at AVX2.
        var repo = await NewRepositoryAsync();
        var recorded = Samples.Version();
        recorded.Lineage.OnednnMaxIsa = "AVX2";
        await repo.PublishAsync(Samples.Version(), null, Ct);
        await repo.PublishAsync(recorded, null, Ct);

        // Act
        var stored = await repo.GetVersionAsync("asr", "en", 2, Ct);
        var byDigest = await repo.GetVersionByDigestAsync(recorded.Digest, Ct);
        var listed = await repo.ListVersionsAsync("asr", "en", includeYanked: false, pageSize: 10, pageToken: "", Ct);

        // Assert
        Assert.Equal("AVX2", stored?.Lineage.OnednnMaxIsa);
        Assert.Equal("AVX2", byDigest?.Lineage.OnednnMaxIsa);
        Assert.Equal([(1L, ""), (2L, "AVX2")], listed.Items.Select(v => (v.Version, v.Lineage.OnednnMaxIsa)).Order());
        Assert.Equal("job-1", stored?.Lineage.JobId);
    }

    [Fact]
    public async Task Publish_SameDigestTwice_ReturnsExistingVersionNotCreated()
    {
        var repo = await NewRepositoryAsync();
        var candidate = Samples.Version();
        await repo.PublishAsync(candidate, null, Ct);

        var (again, created) = await repo.PublishAsync(candidate, null, Ct);

        Assert.False(created);
        Assert.Equal(1, again.Version);
        Assert.Single(await repo.ReadEventsAsync(0, 100, Ct));
    }

    [Fact]
    public async Task Publish_32ConcurrentPublishersOnOneRoute_GetDistinctConsecutiveVersions()
    {
        var repo = await NewRepositoryAsync();
        await repo.InitializeAsync(Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => repo.PublishAsync(Samples.Version(), null, Ct), Ct)));

        Assert.Equal(Enumerable.Range(1, 32).Select(i => (long)i), results.Select(r => r.Version.Version).Order());
        var events = await repo.ReadEventsAsync(0, 100, Ct);
        Assert.Equal(Enumerable.Range(1, 32).Select(i => (long)i), events.Select(e => e.Revision));
        // Revision order is commit order, so versions of one route appear in increasing order.
        Assert.Equal(Enumerable.Range(1, 32).Select(i => (long)i), events.Select(e => e.Version));
    }

    [Fact]
    public async Task SetAlias_ConcurrentCompareAndSetMoves_NeverLoseAnUpdate()
    {
        var repo = await NewRepositoryAsync();
        const int workers = 8, movesEach = 4, total = workers * movesEach;
        for (var i = 0; i <= total; i++)
        {
            await repo.PublishAsync(Samples.Version(), null, Ct);
        }
        await repo.SetAliasAsync("asr", "en", "production", 1, expectedVersion: 0, Ct);

        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            for (var done = 0; done < movesEach;)
            {
                var current = (await repo.GetAliasAsync("asr", "en", "production", Ct))!.Value;
                try
                {
                    await repo.SetAliasAsync("asr", "en", "production", current + 1, expectedVersion: current, Ct);
                    done++;
                }
                catch (FailedPreconditionException)
                {
                    // lost the race: read again
                }
            }
        }, Ct)));

        Assert.Equal(1 + total, await repo.GetAliasAsync("asr", "en", "production", Ct));
        var aliasEvents = (await repo.ReadEventsAsync(0, 1000, Ct)).Where(e => e.Type == MaskEventType.AliasSet).ToList();
        Assert.Equal(Enumerable.Range(1, total + 1).Select(i => (long)i), aliasEvents.Select(e => e.Version));
    }

    [Fact]
    public async Task SetAlias_ExpectedVersionDiffers_FailsWithoutChange()
    {
        var repo = await NewRepositoryAsync();
        await repo.PublishAsync(Samples.Version(), "canary", Ct);
        await repo.PublishAsync(Samples.Version(), null, Ct);

        var error = await Assert.ThrowsAsync<FailedPreconditionException>(() => repo.SetAliasAsync("asr", "en", "canary", 2, expectedVersion: 0, Ct));

        Assert.Contains("points at version 1", error.Message);
        Assert.Equal(1, await repo.GetAliasAsync("asr", "en", "canary", Ct));
    }

    [Fact]
    public async Task SetAlias_UnknownVersion_ThrowsNotFound()
    {
        var repo = await NewRepositoryAsync();
        await repo.PublishAsync(Samples.Version(), null, Ct);

        await Assert.ThrowsAsync<NotFoundException>(() => repo.SetAliasAsync("asr", "en", "production", 7, null, Ct));
    }

    [Fact]
    public async Task DeleteAlias_WithMatchingExpectation_RemovesAndRecordsEvent()
    {
        var repo = await NewRepositoryAsync();
        await repo.PublishAsync(Samples.Version(), "production", Ct);

        await Assert.ThrowsAsync<FailedPreconditionException>(() => repo.DeleteAliasAsync("asr", "en", "production", 2, Ct));
        var previous = await repo.DeleteAliasAsync("asr", "en", "production", 1, Ct);

        Assert.Equal(1, previous);
        Assert.Null(await repo.GetAliasAsync("asr", "en", "production", Ct));
        Assert.Equal(MaskEventType.AliasDeleted, (await repo.ReadEventsAsync(0, 100, Ct))[^1].Type);
        await Assert.ThrowsAsync<NotFoundException>(() => repo.DeleteAliasAsync("asr", "en", "production", null, Ct));
    }

    [Fact]
    public async Task SetYanked_YankThenUnyank_RecordsBothAndBlocksAliases()
    {
        var repo = await NewRepositoryAsync();
        await repo.PublishAsync(Samples.Version(), null, Ct);

        var yanked = await repo.SetYankedAsync("asr", "en", 1, true, "bad WER", Ct);
        await Assert.ThrowsAsync<FailedPreconditionException>(() => repo.SetAliasAsync("asr", "en", "production", 1, null, Ct));
        var again = await repo.SetYankedAsync("asr", "en", 1, true, "bad WER", Ct);
        var unyanked = await repo.SetYankedAsync("asr", "en", 1, false, "", Ct);

        Assert.True(yanked.Yanked && again.Yanked);
        Assert.Equal("bad WER", yanked.YankReason);
        Assert.False(unyanked.Yanked);
        var types = (await repo.ReadEventsAsync(0, 100, Ct)).Select(e => e.Type);
        Assert.Equal([MaskEventType.Published, MaskEventType.Yanked, MaskEventType.Unyanked], types);
    }

    [Fact]
    public async Task ListVersions_Paged_NewestFirstAndYankedHiddenByDefault()
    {
        var repo = await NewRepositoryAsync();
        for (var i = 0; i < 5; i++)
        {
            await repo.PublishAsync(Samples.Version(), i == 4 ? "production" : null, Ct);
        }
        await repo.SetYankedAsync("asr", "en", 3, true, "broken", Ct);

        var first = await repo.ListVersionsAsync("asr", "en", includeYanked: false, 2, "", Ct);
        var second = await repo.ListVersionsAsync("asr", "en", includeYanked: false, 2, first.NextPageToken, Ct);
        var all = await repo.ListVersionsAsync("asr", "en", includeYanked: true, 100, "", Ct);

        Assert.Equal([5L, 4L], first.Items.Select(v => v.Version));
        Assert.Equal(["production"], first.Items[0].Aliases);
        Assert.Equal([2L, 1L], second.Items.Select(v => v.Version));
        Assert.Equal("", second.NextPageToken);
        Assert.Equal(5, all.Items.Count);
        await Assert.ThrowsAsync<InvalidInputException>(() => repo.ListVersionsAsync("asr", "en", false, 2, "not base64!", Ct));
    }

    [Fact]
    public async Task ListRoutes_Paged_OrderedWithAliasesAndCounts()
    {
        var repo = await NewRepositoryAsync();
        await repo.PublishAsync(Samples.Version("asr", "de"), null, Ct);
        await repo.PublishAsync(Samples.Version("asr", "en"), "production", Ct);
        await repo.PublishAsync(Samples.Version("asr", "en"), null, Ct);
        await repo.PublishAsync(Samples.Version("speaker", "und"), null, Ct);

        var first = await repo.ListRoutesAsync("", "", 2, "", Ct);
        var second = await repo.ListRoutesAsync("", "", 2, first.NextPageToken, Ct);
        var filtered = await repo.ListRoutesAsync("speaker", "", 10, "", Ct);

        Assert.Equal(["asr/de", "asr/en"], first.Items.Select(r => $"{r.Task}/{r.LanguageCode}"));
        Assert.Equal(2, first.Items[1].VersionCount);
        Assert.Equal(1, first.Items[1].Aliases["production"]);
        Assert.Equal(["speaker/und"], second.Items.Select(r => $"{r.Task}/{r.LanguageCode}"));
        Assert.Single(filtered.Items);
    }

    [Fact]
    public async Task RegisterBackbone_Twice_SecondReturnsStoredNotCreated()
    {
        var repo = await NewRepositoryAsync();
        var backbone = Samples.Backbone();

        var (stored, created) = await repo.RegisterBackboneAsync(backbone, Ct);
        var (again, createdAgain) = await repo.RegisterBackboneAsync(backbone, Ct);
        var listed = await repo.ListBackbonesAsync(10, "", Ct);

        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(stored, again);
        Assert.Equal(TestBundle.FfnShape, Assert.Single(Assert.Single(listed.Items).Tensors).Dims);
    }

    [Fact]
    public async Task Write_CommittedChange_WakesNotifier()
    {
        var notifier = new ChangeNotifier();
        var repo = await NewRepositoryAsync(notifier);
        await repo.InitializeAsync(Ct);
        var signal = notifier.NextChange;

        await repo.PublishAsync(Samples.Version(), null, Ct);

        Assert.True(signal.IsCompleted);
        Assert.Equal(1, await repo.GetRevisionAsync(Ct));
    }

    [Fact]
    public async Task Initialize_SecondInstanceOnSameDatabase_KeepsData()
    {
        var repo = await NewRepositoryAsync();
        await repo.PublishAsync(Samples.Version(), null, Ct);

        await repo.InitializeAsync(Ct);

        Assert.Single(await repo.ListVersionDigestsAsync(Ct));
        Assert.True(await repo.PingAsync(Ct));
    }
}
