using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using S3Router.Core.Hosting;
using S3Router.MaskRegistry.Auth;
using S3Router.MaskRegistry.Grpc;
using S3Router.MaskRegistry.Masks;
using S3Router.MaskRegistry.Storage;
using S3Router.MaskRegistry.Telemetry;

namespace S3Router.MaskRegistry.Extensions;

/// <summary>All of the registry's dependency injection, and its endpoints.</summary>
public static class HostingExtensions
{
    /// <summary>Registers options, storage (SQLite or PostgreSQL by <see cref="MaskRegistryOptions.Provider"/>), auth, the catalog and health.</summary>
    public static WebApplicationBuilder AddMaskRegistryServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<MaskRegistryOptions>()
            .BindConfiguration(MaskRegistryOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Provider != StorageProvider.Postgres || !string.IsNullOrWhiteSpace(o.ConnectionString),
                "MaskRegistry:ConnectionString is required when MaskRegistry:Provider is Postgres")
            .ValidateOnStart();
        services.AddOptions<RegistryAuthOptions>()
            .BindConfiguration(RegistryAuthOptions.SectionName)
            .Validate(o => o.IsValid(), "Every MaskRegistry:Auth:Keys entry needs a Name, a Role, and exactly one of Key or KeySha256 (64 hex digits)")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<MaskRegistryMetrics>();
        services.AddSingleton<ChangeNotifier>();
        services.AddSingleton(sp => new BlobStore(Options(sp).DataDirectory, sp.GetRequiredService<MaskRegistryMetrics>(), sp.GetRequiredService<ILogger<BlobStore>>()));
        services.AddSingleton<IRegistryRepository>(sp =>
        {
            var options = Options(sp);
            return options.Provider switch
            {
                StorageProvider.Postgres => new PostgresRegistryRepository(
                    sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<ChangeNotifier>(), sp.GetRequiredService<TimeProvider>()),
                _ => new SqliteRegistryRepository(
                    Path.Combine(options.DataDirectory, "registry.db"), options.BusyTimeout, sp.GetRequiredService<ChangeNotifier>(), sp.GetRequiredService<TimeProvider>()),
            };
        });
        // Created only when the provider is Postgres; DI disposes it (and its pool) at shutdown.
        services.AddSingleton(sp => NpgsqlDataSource.Create(Options(sp).ConnectionString
            ?? throw new InvalidOperationException("MaskRegistry:ConnectionString is required when MaskRegistry:Provider is Postgres")));
        services.TryAddSingleton<IBundleInspector, MaskBundleInspector>();
        services.AddSingleton<MaskCatalog>();
        services.AddSingleton<OrphanCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<OrphanCollector>());

        services.AddSingleton<ApiKeyInterceptor>();
        services.AddGrpc().AddServiceOptions<MaskRegistryGrpcService>(o => o.Interceptors.Add<ApiKeyInterceptor>());
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    /// <summary>Maps the MaskRegistry gRPC service.</summary>
    public static WebApplication MapMaskRegistry(this WebApplication app)
    {
        app.MapGrpcService<MaskRegistryGrpcService>();
        var options = Options(app.Services);
        Log.Started(app.Logger, options.Provider.ToString(), app.Services.GetRequiredService<BlobStore>().Root);
        return app;
    }

    private static MaskRegistryOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<MaskRegistryOptions>>().Value;
}
