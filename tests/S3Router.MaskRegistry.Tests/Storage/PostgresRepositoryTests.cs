using S3Router.MaskRegistry.Storage;
using S3Router.MaskRegistry.Tests.TestSupport;

namespace S3Router.MaskRegistry.Tests.Storage;

/// <summary>The repository suite on a real PostgreSQL 15 (S3R_TEST_POSTGRES; see scripts/postgres.sh).</summary>
public sealed class PostgresRepositoryTests : RepositoryContractTests
{
    private protected override Task<(IRegistryRepository Repository, Func<Task> Cleanup)> OpenAsync(ChangeNotifier notifier) =>
        TestDatabases.PostgresAsync(notifier, TimeProvider.System);
}
