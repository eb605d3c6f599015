using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using S3Router.MaskRegistry.Storage;
using S3Router.MaskRegistry.Telemetry;

namespace S3Router.MaskRegistry.Tests.Storage;

public sealed class BlobStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3r-blobstore-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Commit_FirstBlobInFreshDataDirectory_ReadsBackVerifiedAndLeavesNoTempFile()
    {
        var store = NewStore(Path.Combine(_root, "fresh", "registry"));
        var bytes = RandomBytes(300_000, seed: 1);

        var digest = await WriteAsync(store, bytes);
        await using var read = await store.OpenVerifiedAsync(digest, bytes.Length, Ct);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy, Ct);

        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), digest);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Empty(store.EnumerateUploads());
    }

    [Fact]
    public async Task Commit_SameBytesTwiceAndAnotherBlob_KeepsOneFilePerDigest()
    {
        var store = NewStore(_root);
        var first = RandomBytes(1000, seed: 2);
        var second = RandomBytes(1000, seed: 3);

        var a = await WriteAsync(store, first);
        var again = await WriteAsync(store, first);
        var b = await WriteAsync(store, second);

        Assert.Equal(a, again);
        Assert.Equal(new[] { a, b }.Order(), store.EnumerateBlobs().Select(blob => blob.Digest).Order());
    }

    private static BlobStore NewStore(string dataDirectory) =>
        new(dataDirectory, new MaskRegistryMetrics(), NullLogger<BlobStore>.Instance);

    private static async Task<string> WriteAsync(BlobStore store, byte[] bytes)
    {
        await using var upload = store.BeginUpload(maxBytes: 1 << 20);
        for (var offset = 0; offset < bytes.Length; offset += 65536)
        {
            await upload.WriteAsync(bytes.AsMemory(offset, Math.Min(65536, bytes.Length - offset)), Ct);
        }
        await upload.CompleteAsync(Ct);
        store.Commit(upload);
        return upload.Digest;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
