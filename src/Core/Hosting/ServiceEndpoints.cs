namespace S3Router.Core.Hosting;

/// <summary>The ports a service actually listens on, after configuration and defaults.</summary>
public sealed class ServiceEndpoints
{
    /// <summary>Port of the HTTP/1 metrics endpoint.</summary>
    public int MetricsPort { get; set; }
}
