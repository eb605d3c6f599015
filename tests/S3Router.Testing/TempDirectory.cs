namespace S3Router.Testing;

/// <summary>A scratch directory under the system temp folder, removed with its content on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>The directory's full path.</summary>
    public string Path { get; } = Directory.CreateTempSubdirectory("s3router-test-").FullName;

    /// <summary><see cref="Path"/> joined with <paramref name="parts"/>.</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
