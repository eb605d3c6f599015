using Microsoft.Data.Sqlite;
using S3Router.MaskRegistry.Storage;
using S3Router.MaskRegistry.Tests.TestSupport;

namespace S3Router.MaskRegistry.Tests.Storage;

/// <summary>A registry rolled back to an older build reads the rows a newer build wrote.</summary>
public sealed class SqliteForwardCompatibilityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("s3r-registry-compat-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task GetVersion_RowWithFieldsOfANewerBuild_ReadsKnownFields()
    {
        // Arrange: a stored version whose metadata carries a field this build does not know.
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(_dir, "registry.db");
        var repository = new SqliteRegistryRepository(path, TimeSpan.FromSeconds(30), new ChangeNotifier(), TimeProvider.System);
        await repository.PublishAsync(Samples.Version(), null, ct);
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync(ct);
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE mask_versions SET metadata_json = json_set(metadata_json, '$.lineage.fieldOfANewerBuild', 7)";
            Assert.Equal(1, await update.ExecuteNonQueryAsync(ct));
        }

        // Act
        var stored = await repository.GetVersionAsync("asr", "en", 1, ct);
        var listed = await repository.ListVersionsAsync("asr", "en", includeYanked: false, pageSize: 10, pageToken: "", ct);

        // Assert
        Assert.Equal("job-1", stored?.Lineage.JobId);
        Assert.Equal(1, Assert.Single(listed.Items).Version);
    }
}
