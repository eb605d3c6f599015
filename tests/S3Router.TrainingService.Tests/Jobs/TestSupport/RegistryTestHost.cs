using S3Router.MaskRegistry.Extensions;
using S3Router.Testing;

namespace S3Router.TrainingService.Tests.Jobs.TestSupport;

/// <summary>The real mask registry (SQLite + blob folder, real bundle inspection) on loopback Kestrel.</summary>
internal static class RegistryTestHost
{
    public static Task<LoopbackService> StartAsync(string dataDirectory) =>
        LoopbackService.StartAsync(
            [new("MaskRegistry:DataDirectory", dataDirectory)],
            builder => builder.AddMaskRegistryServices(),
            app => app.MapMaskRegistry(),
            TestContext.Current.CancellationToken);
}
