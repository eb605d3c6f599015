using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using S3Router.Core.Hosting;
using S3Router.InferenceService.Grpc;
using S3Router.InferenceService.Inference;
using S3Router.InferenceService.Inference.Routes;
using S3Router.InferenceService.Telemetry;

namespace S3Router.InferenceService.Extensions;

/// <summary>All of the inference service's dependency injection, and its endpoints.</summary>
public static class HostingExtensions
{
    /// <summary>Registers options, the registry client, the route caches, the domain services, background loaders and readiness.</summary>
    public static WebApplicationBuilder AddInferenceServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<InferenceOptions>()
            .BindConfiguration(InferenceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<InferenceMetrics>();
        services.AddSingleton(sp => GrpcChannel.ForAddress(sp.GetRequiredService<IOptions<InferenceOptions>>().Value.RegistryAddress));
        services.AddSingleton(sp => new MaskRegistrySource(
            sp.GetRequiredService<GrpcChannel>().CreateCallInvoker(), sp.GetRequiredService<IOptions<InferenceOptions>>()));
        services.AddSingleton<RouteResolver>();
        services.AddSingleton<BackboneHost>();
        services.AddSingleton<RouteManager>();
        services.AddSingleton<RecognitionService>();
        services.AddSingleton<StreamingRecognizer>();
        services.AddSingleton<RouteCatalog>();
        services.AddHostedService<BackboneLoader>();
        services.AddHostedService<RegistryWatcher>();
        services.AddHealthChecks().AddCheck<BackboneHealthCheck>("backbone", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    /// <summary>Maps the Speech gRPC service.</summary>
    public static WebApplication MapInference(this WebApplication app)
    {
        app.MapGrpcService<SpeechGrpcService>();
        return app;
    }
}
