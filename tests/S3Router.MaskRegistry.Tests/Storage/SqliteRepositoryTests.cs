using S3Router.MaskRegistry.Storage;
using S3Router.MaskRegistry.Tests.TestSupport;

namespace S3Router.MaskRegistry.Tests.Storage;

/// <summary>The repository suite on an embedded SQLite file.</summary>
public sealed class SqliteRepositoryTests : RepositoryContractTests
{
    private protected override Task<(IRegistryRepository Repository, Func<Task> Cleanup)> OpenAsync(ChangeNotifier notifier) =>
        Task.FromResult(TestDatabases.Sqlite(notifier, TimeProvider.System));
}
