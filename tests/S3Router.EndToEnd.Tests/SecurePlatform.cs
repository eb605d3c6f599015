using S3Router.Testing.Processes;

namespace S3Router.EndToEnd.Tests;

/// <summary>
/// A one-pod <see cref="ServicePlatform"/> with API keys everywhere: the registry knows an admin, a publisher and a
/// reader key (the inference process reads with the reader key); the gateway knows a "limited" user key (burst 5,
/// practically no refill) and a "free" user key without a rate limit.
/// </summary>
public sealed class SecurePlatform : IAsyncLifetime
{
    public const string AdminKey = "admin-key-0123456789";
    public const string PublisherKey = "publisher-key-0123456789";
    public const string ReaderKey = "reader-key-0123456789";
    public const string LimitedKey = "limited-key-0123456789";
    public const string FreeKey = "free-key-0123456789";

    /// <summary>Calls the limited key may make at once.</summary>
    public const int LimitedBurst = 5;

    public ServicePlatform Platform { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Platform = await ServicePlatform.StartAsync(new PlatformOptions
        {
            Registry = new Dictionary<string, string>
            {
                ["MaskRegistry__Auth__Keys__0__Name"] = "admin",
                ["MaskRegistry__Auth__Keys__0__Key"] = AdminKey,
                ["MaskRegistry__Auth__Keys__0__Role"] = "Admin",
                ["MaskRegistry__Auth__Keys__1__Name"] = "publisher",
                ["MaskRegistry__Auth__Keys__1__Key"] = PublisherKey,
                ["MaskRegistry__Auth__Keys__1__Role"] = "Publisher",
                ["MaskRegistry__Auth__Keys__2__Name"] = "reader",
                ["MaskRegistry__Auth__Keys__2__Key"] = ReaderKey,
                ["MaskRegistry__Auth__Keys__2__Role"] = "Reader",
            },
            RegistryAdminKey = AdminKey,
            Inference = new Dictionary<string, string> { ["Inference__RegistryApiKey"] = ReaderKey },
            Gateway = new Dictionary<string, string>
            {
                ["Gateway__Auth__Keys__0__Name"] = "limited",
                ["Gateway__Auth__Keys__0__Key"] = LimitedKey,
                ["Gateway__Auth__Keys__0__Role"] = "User",
                ["Gateway__Auth__Keys__0__PermitsPerSecond"] = "0.001",
                ["Gateway__Auth__Keys__0__Burst"] = LimitedBurst.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Gateway__Auth__Keys__1__Name"] = "free",
                ["Gateway__Auth__Keys__1__Key"] = FreeKey,
                ["Gateway__Auth__Keys__1__Role"] = "User",
                ["Gateway__Auth__Keys__1__PermitsPerSecond"] = "0",
            },
            GatewayKey = FreeKey,
        }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Platform is not null)
        {
            await Platform.DisposeAsync();
        }
    }
}
