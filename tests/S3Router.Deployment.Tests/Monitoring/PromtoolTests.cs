using S3Router.Deployment.Tests.TestSupport;

namespace S3Router.Deployment.Tests.Monitoring;

/// <summary>The Prometheus scrape configuration and alert rules under k8s/monitoring, checked by promtool.</summary>
public sealed class PromtoolTests
{
    private static string Monitoring => RepositoryPaths.Combine("k8s", "monitoring");

    [Fact]
    public void CheckConfig_ScrapeConfiguration_IsValid()
    {
        var (exit, stdout, stderr) = Promtool(Monitoring, "check", "config", "prometheus.yml");

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("1 rule files found", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckRules_AlertRules_AreValid()
    {
        var (exit, stdout, stderr) = Promtool(Path.Combine(Monitoring, "rules"), "check", "rules", "s3router-alerts.yml");

        Assert.True(exit == 0, stdout + stderr);
    }

    [Fact]
    public void TestRules_AlertUnitTests_Pass()
    {
        var (exit, stdout, stderr) = Promtool(Path.Combine(Monitoring, "rules"), "test", "rules", "s3router-alerts_test.yml");

        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("SUCCESS", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void TestRules_EveryAlert_HasAUnitTest()
    {
        var rules = File.ReadAllLines(Path.Combine(Monitoring, "rules", "s3router-alerts.yml"));
        var tests = File.ReadAllText(Path.Combine(Monitoring, "rules", "s3router-alerts_test.yml"));

        var alerts = rules.Select(l => l.Trim()).Where(l => l.StartsWith("- alert: ", StringComparison.Ordinal)).Select(l => l["- alert: ".Length..]).ToList();

        Assert.NotEmpty(alerts);
        Assert.All(alerts, a => Assert.Contains($"alertname: {a}\n", tests, StringComparison.Ordinal));
    }

    private static (int ExitCode, string Stdout, string Stderr) Promtool(string dir, params string[] args)
    {
        var promtool = ExternalTool.Require("promtool", "Debian package 'prometheus'");
        return ExternalTool.Run(promtool, dir, args);
    }
}
