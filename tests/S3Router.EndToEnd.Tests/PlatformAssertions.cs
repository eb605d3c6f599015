using Grpc.Health.V1;
using Grpc.Net.Client;
using S3Router.Testing.Processes;

namespace S3Router.EndToEnd.Tests;

/// <summary>Assertions every process-level test makes on a <see cref="ServicePlatform"/>.</summary>
internal static class PlatformAssertions
{
    /// <summary>Throws with the output of every process that is no longer running.</summary>
    public static void AssertAllAlive(this ServicePlatform platform)
    {
        var dead = platform.DeadProcesses();
        Assert.True(dead.Length == 0, dead);
    }

    /// <summary>Asks every process's health service for "ready" and asserts each answers SERVING.</summary>
    public static async Task AssertAllHealthyAsync(this ServicePlatform platform, CancellationToken cancellationToken)
    {
        platform.AssertAllAlive();
        foreach (var process in platform.Processes)
        {
            using var channel = GrpcChannel.ForAddress(process.Address);
            var reply = await new Health.HealthClient(channel).CheckAsync(
                new HealthCheckRequest { Service = "ready" }, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
            Assert.True(reply.Status == HealthCheckResponse.Types.ServingStatus.Serving, $"{process.Name} on {process.Address}: {reply.Status}");
        }
    }
}
