using System.CommandLine;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace S3Router.Cli.Commands;

/// <summary><c>s3r health --target URL</c>: asks a service's <c>grpc.health.v1</c> endpoint whether it is ready.</summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "gRPC address of the service", DefaultValueFactory = _ => "http://localhost:50051" };
        var wait = new Option<int>("--wait-seconds") { Description = "Keep asking until SERVING or this many seconds pass", DefaultValueFactory = _ => 0 };
        var command = new Command("health", "Check whether a service is ready") { target, wait };
        command.SetAction(async (parse, ct) =>
        {
            using var channel = GrpcChannel.ForAddress(parse.GetValue(target)!);
            var client = new Health.HealthClient(channel);
            var deadline = DateTime.UtcNow.AddSeconds(parse.GetValue(wait));
            while (true)
            {
                try
                {
                    var reply = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: ct);
                    if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                    {
                        await parse.InvocationConfiguration.Output.WriteLineAsync("SERVING");
                        return 0;
                    }
                    if (DateTime.UtcNow >= deadline)
                    {
                        await parse.InvocationConfiguration.Error.WriteLineAsync(reply.Status.ToString().ToUpperInvariant());
                        return 1;
                    }
                }
                catch (Grpc.Core.RpcException ex) when (DateTime.UtcNow < deadline)
                {
                    _ = ex; // not up yet: ask again
                }
                await Task.Delay(250, ct);
            }
        });
        return command;
    }
}
