using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using S3Router.Core.Hosting;

namespace S3Router.Core.Tests.Hosting;

public sealed class ServiceDefaultsLoggingTests
{
    private const string RequestLogCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    [Fact]
    public async Task RequestLogs_NoLoggingSettings_OnlyWarningsAndAbove()
    {
        // Arrange
        await using var app = Build(configure: null);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(RequestLogCategory);

        // Act
        var information = logger.IsEnabled(LogLevel.Information);
        var warning = logger.IsEnabled(LogLevel.Warning);
        var ownEvents = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("S3Router.Gateway").IsEnabled(LogLevel.Information);

        // Assert
        Assert.False(information);
        Assert.True(warning);
        Assert.True(ownEvents);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RequestLogs_LevelConfigured_ConfigurationWins(bool setBeforeDefaults)
    {
        // Arrange: a user's appsettings or environment (added before) and a later override both win over the default.
        await using var app = Build(builder => builder.Configuration[ServiceDefaultsExtensions.QuietRequestLogsKey] = "Information", setBeforeDefaults);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(RequestLogCategory);

        // Act
        var information = logger.IsEnabled(LogLevel.Information);

        // Assert
        Assert.True(information);
    }

    private static WebApplication Build(Action<WebApplicationBuilder>? configure, bool before = true)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration["Service:ListenAddress"] = "127.0.0.1";
        if (before)
        {
            configure?.Invoke(builder);
        }

        builder.AddServiceDefaults(defaultGrpcPort: 1, defaultMetricsPort: 2);
        if (!before)
        {
            configure?.Invoke(builder);
        }

        return builder.Build();
    }
}
