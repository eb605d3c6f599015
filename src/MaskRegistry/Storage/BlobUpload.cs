using System.Security.Cryptography;
using S3Router.Core.Errors;
using S3Router.Core.Routes;
using S3Router.MaskRegistry.Masks;
using S3Router.MaskRegistry.Telemetry;

namespace S3Router.MaskRegistry.Storage;

/// <summary>One upload being written to a temporary file while it is hashed.</summary>
internal sealed class BlobUpload : IAsyncDisposable
{
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly long _maxBytes;
    private readonly MaskRegistryMetrics _metrics;
    private bool _moved;

    public BlobUpload(string path, long maxBytes, MaskRegistryMetrics metrics)
    {
        TempPath = path;
        _maxBytes = maxBytes;
        _metrics = metrics;
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
    }

    /// <summary>The temporary file; its content is final once <see cref="CompleteAsync"/> returned.</summary>
    public string TempPath { get; }

    /// <summary>Bytes received so far.</summary>
    public long Length { get; private set; }

    /// <summary>"sha256:&lt;hex&gt;" of the bytes, after <see cref="CompleteAsync"/>.</summary>
    public string Digest { get; private set; } = "";

    public async Task WriteAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        if (Length + chunk.Length > _maxBytes)
        {
            throw new ResourceExhaustedException($"The bundle is larger than the registry's limit of {_maxBytes} bytes (MaskRegistry:MaxBundleBytes).");
        }
        _hash.AppendData(chunk.Span);
        await _file.WriteAsync(chunk, cancellationToken);
        Length += chunk.Length;
        _metrics.BlobBytesIn(chunk.Length);
    }

    /// <summary>Flushes to disk (fsync) and computes the digest.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await _file.FlushAsync(cancellationToken);
        _file.Flush(flushToDisk: true);
        await _file.DisposeAsync();
        Digest = RouteNames.DigestPrefix + Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    internal void MoveTo(string target)
    {
        File.Move(TempPath, target, overwrite: true);
        _moved = true;
    }

    public async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync();
        _hash.Dispose();
        if (!_moved)
        {
            File.Delete(TempPath);
        }
    }
}
