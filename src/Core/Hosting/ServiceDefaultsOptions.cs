using System.ComponentModel.DataAnnotations;

namespace S3Router.Core.Hosting;

/// <summary>Network endpoints every service exposes. Bound from the <c>Service</c> section (env: <c>Service__GrpcPort</c>).</summary>
public sealed class ServiceDefaultsOptions
{
    public const string SectionName = "Service";

    /// <summary>Port of the gRPC endpoint (HTTP/2 only, so h2c works without TLS). Default: the service's own, e.g. 50051 for the gateway.</summary>
    [Range(0, 65535)]
    public int GrpcPort { get; set; }

    /// <summary>Port of the HTTP/1 endpoint serving <c>/metrics</c> for Prometheus. Default: the service's own, e.g. 9451 for the gateway.</summary>
    [Range(0, 65535)]
    public int MetricsPort { get; set; }

    /// <summary>Address to listen on. Default: <c>0.0.0.0</c> (all interfaces, as pods need).</summary>
    [Required]
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>Largest gRPC message accepted, in bytes. Default: 64 MiB (a few minutes of 16 kHz audio, or a bundle chunk).</summary>
    [Range(1024, int.MaxValue)]
    public int MaxReceiveMessageBytes { get; set; } = 64 * 1024 * 1024;
}
