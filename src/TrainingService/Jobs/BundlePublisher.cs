using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Masks;
using S3Router.TrainingService.Telemetry;

namespace S3Router.TrainingService.Jobs;

/// <summary>
/// Publishes a finished job's mask bundle to the registry (PublishMask: metadata, then 1 MiB chunks), moving the
/// spec's alias. A failure throws a <see cref="FailedPreconditionException"/> whose message says how to publish the
/// bundle (which stays on disk) by hand.
/// </summary>
internal sealed class BundlePublisher(IOptions<TrainingServiceOptions> options, TrainingMetrics metrics, ILogger<BundlePublisher> logger)
{
    public async Task<ResolvedRoute> PublishAsync(string jobId, JobSpec spec, string bundlePath, CancellationToken cancellationToken)
    {
        var publish = spec.Publish;
        var address = string.IsNullOrEmpty(publish.RegistryAddress) ? options.Value.RegistryAddress : publish.RegistryAddress;
        try
        {
            var bytes = await File.ReadAllBytesAsync(bundlePath, cancellationToken);
            using var channel = GrpcChannel.ForAddress(address);
            var client = new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(channel);
            var headers = new Metadata();
            if (!string.IsNullOrEmpty(options.Value.RegistryApiKey))
            {
                headers.Add("authorization", $"Bearer {options.Value.RegistryApiKey}");
            }

            var metadata = new PublishMaskMetadata
            {
                Task = spec.Task,
                LanguageCode = spec.LanguageCode,
                ExpectedDigest = "sha256:" + Sha256Digest.Of(bytes),
                SizeBytes = bytes.Length,
                SetAlias = publish.SetAlias,
                Labels = { ["job_id"] = jobId, ["job_kind"] = spec.Kind.ToString().ToLowerInvariant() },
            };
            var reply = await client.PublishBundleAsync(metadata, bytes, new CallOptions(headers, DateTime.UtcNow + options.Value.PublishTimeout, cancellationToken));
            metrics.Published("ok");
            var version = reply.Version;
            Log.JobPublished(logger, jobId, version.Task, version.LanguageCode, version.Version, version.Digest);
            return new ResolvedRoute { Task = version.Task, LanguageCode = version.LanguageCode, Version = version.Version, Digest = version.Digest };
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.Published(ex.StatusCode.ToString());
            throw Failure(spec, address, bundlePath, $"{ex.StatusCode}: {ex.Status.Detail}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or UriFormatException)
        {
            metrics.Published("error");
            throw Failure(spec, address, bundlePath, ex.Message, ex);
        }
    }

    private static FailedPreconditionException Failure(JobSpec spec, string address, string bundlePath, string reason, Exception inner)
    {
        var alias = string.IsNullOrEmpty(spec.Publish.SetAlias) ? "" : $" --alias {spec.Publish.SetAlias}";
        return new FailedPreconditionException(
            $"training finished, but publishing the bundle to the registry at {address} failed ({reason}). "
            + $"The bundle is kept at {bundlePath}; publish it by hand with: "
            + $"s3r masks publish {bundlePath} --task {spec.Task} --language {spec.LanguageCode}{alias} --registry {address}",
            inner);
    }
}
