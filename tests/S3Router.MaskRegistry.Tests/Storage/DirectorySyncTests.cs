using S3Router.MaskRegistry.Storage;

namespace S3Router.MaskRegistry.Tests.Storage;

public sealed class DirectorySyncTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3r-dirsync-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Flush_ExistingDirectoryWithNewEntry_Succeeds()
    {
        File.WriteAllText(Path.Combine(_root, "entry"), "x");

        var error = Record.Exception(() => DirectorySync.Flush(_root));

        Assert.Null(error);
    }

    [Fact]
    public void Flush_MissingDirectory_ThrowsDirectoryNotFoundNamingThePath()
    {
        var missing = Path.Combine(_root, "missing");

        var error = Assert.Throws<DirectoryNotFoundException>(() => DirectorySync.Flush(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Flush_RegularFile_ThrowsIOExceptionSayingNotADirectory()
    {
        var file = Path.Combine(_root, "file");
        File.WriteAllText(file, "x");

        var error = Assert.Throws<IOException>(() => DirectorySync.Flush(file));

        Assert.Contains("not a directory", error.Message, StringComparison.Ordinal);
    }
}
