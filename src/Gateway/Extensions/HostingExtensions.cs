using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.DependencyInjection.Extensions;
using S3Router.Core.Hosting;
using S3Router.Gateway.Auth;
using S3Router.Gateway.Grpc;
using S3Router.Gateway.Proxy;
using S3Router.Gateway.Resilience;
using S3Router.Gateway.Routing;
using S3Router.Gateway.Telemetry;
using S3Router.Gateway.Validation;

namespace S3Router.Gateway.Extensions;

/// <summary>All of the gateway's dependency injection, and its endpoints.</summary>
public static class HostingExtensions
{
    /// <summary>Registers options, endpoint discovery, routing, resilience, auth, metrics and health.</summary>
    public static WebApplicationBuilder AddGatewayServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.HasValidEndpoints(),
                "Gateway:Endpoints must be http(s) addresses such as http://10.0.0.5:50052, and only one of Gateway:Endpoints and Gateway:DnsName may be set")
            .ValidateOnStart();
        services.AddOptions<GatewayAuthOptions>()
            .BindConfiguration(GatewayAuthOptions.SectionName)
            .Validate(o => o.IsValid(),
                "Every Gateway:Auth:Keys entry needs a Name, a Role, exactly one of Key or KeySha256 (64 hex digits), PermitsPerSecond >= 0 and Burst >= 1")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IHostResolver, DnsHostResolver>();
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<GatewayResilience>();
        services.AddSingleton<EndpointFactory>();
        services.AddSingleton<EndpointSet>();
        services.AddSingleton<EndpointDiscovery>();
        services.AddHostedService(sp => sp.GetRequiredService<EndpointDiscovery>());
        services.AddSingleton<SpeechRequestValidator>();
        services.AddSingleton<SpeechProxy>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<ApiKeyInterceptor>();
        services.AddSingleton<MetricsInterceptor>();

        // The Speech methods are bound by SpeechMethodProvider (Recognize forwards the request's bytes).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<SpeechGrpcService>, SpeechMethodProvider>());
        // Metrics first, so calls refused by auth are counted too.
        services.AddGrpc().AddServiceOptions<SpeechGrpcService>(o =>
        {
            o.Interceptors.Add<MetricsInterceptor>();
            o.Interceptors.Add<ApiKeyInterceptor>();
        });
        services.AddHealthChecks().AddCheck<EndpointsHealthCheck>("inference-endpoints", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    /// <summary>Maps the public Speech service.</summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        app.MapGrpcService<SpeechGrpcService>();
        return app;
    }
}
