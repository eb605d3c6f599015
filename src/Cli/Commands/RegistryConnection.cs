using System.CommandLine;
using Grpc.Core;

namespace S3Router.Cli.Commands;

/// <summary>The global registry options (<c>--registry</c>, <c>--api-key</c>) and the client they make.</summary>
internal static class RegistryConnection
{
    public static readonly Option<string> Registry = new("--registry")
    {
        Description = "gRPC address of the mask registry",
        DefaultValueFactory = _ => "http://localhost:50053",
        Recursive = true,
    };

    public static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "API key for the registry (default: $S3R_API_KEY)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("S3R_API_KEY"),
        Recursive = true,
    };

    /// <summary>Opens a channel to the registry and calls <paramref name="action"/>; gRPC errors become one error line and exit code 1 (<see cref="GrpcCommand.RunAsync"/>).</summary>
    public static Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<S3Router.Api.V1.MaskRegistry.MaskRegistryClient, Metadata, Task<int>> action) =>
        GrpcCommand.RunAsync(parse, parse.GetValue(Registry)!, parse.GetValue(ApiKey), cancellationToken,
            (channel, headers) => action(new S3Router.Api.V1.MaskRegistry.MaskRegistryClient(channel), headers));
}
