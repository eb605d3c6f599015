using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using S3Router.Core.Errors;

namespace S3Router.Core.Hosting;

/// <summary>
/// What every S3Router service shares: gRPC with the exception interceptor, health (<c>grpc.health.v1</c>),
/// reflection, Prometheus metrics on their own HTTP/1 port, and Kestrel endpoints.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>gRPC health service name for readiness probes; every registered check counts.</summary>
    public const string ReadyTag = "ready";

    /// <summary>gRPC health service name (and check tag) for liveness probes: only checks tagged with it count.</summary>
    public const string LiveTag = "live";

    /// <summary>Log level key of ASP.NET Core's per-request logs; <c>Warning</c> unless configuration sets it.</summary>
    public const string QuietRequestLogsKey = "Logging:LogLevel:Microsoft.AspNetCore";

    /// <summary>Adds the shared service defaults. The ports are used when configuration does not set them.</summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, int defaultGrpcPort, int defaultMetricsPort)
    {
        // ASP.NET Core logs four Information lines per request (request start/end, endpoint start/end); a speech
        // service at hundreds of calls per second wants its own events only. Lowest-priority source: any
        // Logging:LogLevel setting (appsettings, environment, command line) still wins.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?> { [QuietRequestLogsKey] = nameof(LogLevel.Warning) },
        });

        builder.Services.AddOptions<ServiceDefaultsOptions>()
            .BindConfiguration(ServiceDefaultsOptions.SectionName)
            .PostConfigure(o =>
            {
                o.GrpcPort = o.GrpcPort == 0 ? defaultGrpcPort : o.GrpcPort;
                o.MetricsPort = o.MetricsPort == 0 ? defaultMetricsPort : o.MetricsPort;
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var options = new ServiceDefaultsOptions();
        builder.Configuration.GetSection(ServiceDefaultsOptions.SectionName).Bind(options);
        var grpcPort = options.GrpcPort == 0 ? defaultGrpcPort : options.GrpcPort;
        var metricsPort = options.MetricsPort == 0 ? defaultMetricsPort : options.MetricsPort;

        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<ExceptionInterceptor>();
            o.EnableDetailedErrors = builder.Environment.IsDevelopment();
            o.MaxReceiveMessageSize = options.MaxReceiveMessageBytes;
        });
        builder.Services.AddGrpcReflection();
        // Probes: service "live" = the process answers; "" and "ready" = every check (model loaded, DB reachable, ...).
        builder.Services.AddGrpcHealthChecks(o =>
            {
                o.Services.Map("", _ => true);
                o.Services.Map(ReadyTag, _ => true);
                o.Services.Map(LiveTag, r => r.Tags.Contains(LiveTag));
            })
            .AddCheck("process", () => HealthCheckResult.Healthy(), [LiveTag]);

        var address = IPAddress.Parse(options.ListenAddress);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // h2c needs an HTTP/2-only endpoint; Prometheus scrapes over HTTP/1, so /metrics gets its own port.
            kestrel.Listen(address, grpcPort, l => l.Protocols = HttpProtocols.Http2);
            kestrel.Listen(address, metricsPort, l => l.Protocols = HttpProtocols.Http1);
        });
        builder.Services.Configure<ServiceEndpoints>(e => e.MetricsPort = metricsPort);
        return builder;
    }

    /// <summary>Maps health, reflection and <c>/metrics</c> (on the metrics port only).</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseRouting();
        app.UseHttpMetrics(); // counts gRPC calls too: one route per method path
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        var metricsPort = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ServiceEndpoints>>().Value.MetricsPort;
        app.MapMetrics().RequireHost($"*:{metricsPort}");
        return app;
    }
}
