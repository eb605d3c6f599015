using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using S3Router.MaskRegistry.Telemetry;

namespace S3Router.MaskRegistry.Storage;

/// <summary>
/// Deletes blobs no version refers to (written before a crash, before their row was committed) and abandoned
/// uploads, once at start-up and then every <see cref="MaskRegistryOptions.OrphanSweepInterval"/>. Only files older
/// than the grace period go, so an upload that is about to commit is never touched.
/// </summary>
internal sealed class OrphanCollector(
    IRegistryRepository repository, BlobStore blobs, IOptions<MaskRegistryOptions> options, TimeProvider time,
    MaskRegistryMetrics metrics, ILogger<OrphanCollector> logger) : BackgroundService
{
    /// <summary>One sweep; returns how many files were deleted.</summary>
    public async Task<int> CollectAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - options.Value.OrphanGracePeriod;
        var deleted = 0;
        foreach (var (path, lastWrite) in blobs.EnumerateUploads().ToList())
        {
            if (lastWrite < cutoff && TryDelete(path))
            {
                deleted++;
            }
        }
        // Listing the files before the digests: a blob committed in between is younger than the cutoff anyway.
        var files = blobs.EnumerateBlobs().Where(b => b.LastWriteUtc < cutoff).ToList();
        if (files.Count > 0)
        {
            var referenced = await repository.ListVersionDigestsAsync(cancellationToken);
            foreach (var (digest, path, _) in files)
            {
                if (!referenced.Contains(digest) && TryDelete(path))
                {
                    deleted++;
                }
            }
        }
        if (deleted > 0)
        {
            metrics.OrphansDeleted(deleted);
            Log.OrphansDeleted(logger, deleted);
        }
        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CollectAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.OrphanSweepFailed(logger, ex);
            }
            await Task.Delay(options.Value.OrphanSweepInterval, time, stoppingToken);
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
