using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using S3Router.Core.Errors;
using S3Router.Core.Routes;
using S3Router.MaskRegistry.Masks;
using S3Router.MaskRegistry.Telemetry;

namespace S3Router.MaskRegistry.Storage;

/// <summary>
/// Content-addressed files: <c>blobs/sha256/ab/abcdef...</c> under the data directory. Uploads go to
/// <c>blobs/tmp/</c>, are fsynced and then renamed into place, so a blob path never holds a partial file; the
/// directory holding the new name is fsynced too, so the rename itself survives a crash or power loss.
/// Reads verify the digest before a single byte is served.
/// </summary>
internal sealed class BlobStore(string dataDirectory, MaskRegistryMetrics metrics, ILogger<BlobStore> logger)
{
    private readonly string _blobRoot = Path.Combine(Path.GetFullPath(dataDirectory), "blobs", "sha256");
    private readonly string _tempRoot = Path.Combine(Path.GetFullPath(dataDirectory), "blobs", "tmp");

    public string Root => Path.GetDirectoryName(_blobRoot)!;

    /// <summary>Starts an upload into a new temporary file; dispose it to delete whatever was not committed.</summary>
    public BlobUpload BeginUpload(long maxBytes)
    {
        Directory.CreateDirectory(_tempRoot);
        var path = Path.Combine(_tempRoot, $"{Guid.NewGuid():N}.part");
        return new BlobUpload(path, maxBytes, metrics);
    }

    /// <summary>
    /// Moves a completed (fsynced) upload to its content address, replacing any file there (same bytes, fresh time),
    /// and fsyncs the directories whose entries changed, so the blob is durable before the database row names it.
    /// </summary>
    public void Commit(BlobUpload upload)
    {
        var target = PathOf(upload.Digest);
        var shard = Path.GetDirectoryName(target)!;
        var existing = shard;
        while (!Directory.Exists(existing))
        {
            existing = Path.GetDirectoryName(existing)!;
        }
        Directory.CreateDirectory(shard);
        upload.MoveTo(target);
        // The shard holds the new name; every folder created above also needs its own entry flushed in its parent.
        for (var directory = shard; ; directory = Path.GetDirectoryName(directory)!)
        {
            DirectorySync.Flush(directory);
            if (directory == existing)
            {
                break;
            }
        }
    }

    /// <summary>Opens a blob after checking its size and digest; missing or corrupted blobs are refused.</summary>
    public async Task<FileStream> OpenVerifiedAsync(string digest, long sizeBytes, CancellationToken cancellationToken)
    {
        var path = PathOf(digest);
        if (!File.Exists(path))
        {
            throw Corrupt(digest, "the file is missing from the blob store");
        }
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        try
        {
            if (stream.Length != sizeBytes)
            {
                throw Corrupt(digest, $"the file has {stream.Length} bytes, the registry recorded {sizeBytes}");
            }
            var actual = RouteNames.DigestPrefix + Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
            if (actual != digest)
            {
                throw Corrupt(digest, $"its content hashes to {actual}");
            }
            stream.Position = 0;
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every stored blob: digest and last write time.</summary>
    public IEnumerable<(string Digest, string Path, DateTime LastWriteUtc)> EnumerateBlobs()
    {
        if (!Directory.Exists(_blobRoot))
        {
            yield break;
        }
        foreach (var file in Directory.EnumerateFiles(_blobRoot, "*", SearchOption.AllDirectories))
        {
            yield return (RouteNames.DigestPrefix + Path.GetFileName(file), file, File.GetLastWriteTimeUtc(file));
        }
    }

    /// <summary>Temporary upload files (finished or abandoned).</summary>
    public IEnumerable<(string Path, DateTime LastWriteUtc)> EnumerateUploads()
    {
        if (!Directory.Exists(_tempRoot))
        {
            yield break;
        }
        foreach (var file in Directory.EnumerateFiles(_tempRoot))
        {
            yield return (file, File.GetLastWriteTimeUtc(file));
        }
    }

    private string PathOf(string digest)
    {
        // Only a validated digest ever becomes a path: no caller text reaches the file system.
        if (!RouteNames.IsDigest(digest))
        {
            throw new InvalidInputException($"\"{digest}\" is not a sha256 digest", "digest");
        }
        var hex = digest[RouteNames.DigestPrefix.Length..];
        return Path.Combine(_blobRoot, hex[..2], hex);
    }

    private FailedPreconditionException Corrupt(string digest, string problem)
    {
        metrics.CorruptBlob();
        Log.CorruptBlob(logger, digest, problem);
        return new FailedPreconditionException(
            $"The stored bundle {digest} is corrupted ({problem}) and is not served. An operator must restore the blob file or the bundle must be published again.");
    }
}
