using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using S3Router.Core.Hosting;
using S3Router.TrainingService.Grpc;
using S3Router.TrainingService.Jobs;
using S3Router.TrainingService.Telemetry;
using S3Router.TrainingService.Training;

namespace S3Router.TrainingService.Extensions;

/// <summary>All of the training service's dependency injection, and its endpoints.</summary>
public static class HostingExtensions
{
    /// <summary>Registers options, the job database, queue, worker, publishing, the engine and health.</summary>
    public static WebApplicationBuilder AddTrainingServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TrainingServiceOptions>()
            .BindConfiguration(TrainingServiceOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => Uri.TryCreate(o.RegistryAddress, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "Training:RegistryAddress must be an http:// or https:// address")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new JobRepository(Path.Combine(Options(sp).DataDirectory, "jobs.db")));
        services.AddSingleton<JobQueue>();
        services.AddSingleton<JobManager>();
        services.AddTrainingEngine();
        services.AddHostedService<JobWorker>();
        services.AddHealthChecks().AddCheck<JobStoreHealthCheck>("jobs-database", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    /// <summary>The runner and what runs it (also used by <see cref="StandaloneJob"/>, without the service).</summary>
    public static IServiceCollection AddTrainingEngine(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TrainingMetrics>();
        services.TryAddSingleton<IJobRunner, JobRunner>();
        services.TryAddSingleton<BundlePublisher>();
        services.TryAddSingleton<JobExecutor>();
        return services;
    }

    /// <summary>Maps the Training gRPC service.</summary>
    public static WebApplication MapTraining(this WebApplication app)
    {
        app.MapGrpcService<TrainingGrpcService>();
        var options = Options(app.Services);
        Log.Started(app.Logger, Path.GetFullPath(options.DataDirectory), options.MaxConcurrentJobs);
        return app;
    }

    private static TrainingServiceOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<TrainingServiceOptions>>().Value;
}
