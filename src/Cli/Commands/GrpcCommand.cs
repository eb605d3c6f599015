using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;

namespace S3Router.Cli.Commands;

/// <summary>The one place where a command opens a channel, sends its API key and turns gRPC errors into an error line.</summary>
internal static class GrpcCommand
{
    /// <summary>
    /// Opens a channel to <paramref name="address"/> and calls <paramref name="action"/>; a gRPC error becomes one line on
    /// the invocation's error writer (stderr in a terminal) and exit code 1, except CANCELLED after
    /// <paramref name="cancellationToken"/> fired (the user's Ctrl+C), which propagates.
    /// </summary>
    public static async Task<int> RunAsync(
        ParseResult parse, string address, string? apiKey, CancellationToken cancellationToken, Func<GrpcChannel, Metadata, Task<int>> action)
    {
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });
        var headers = new Metadata();
        if (!string.IsNullOrEmpty(apiKey))
        {
            headers.Add("authorization", $"Bearer {apiKey}");
        }
        try
        {
            return await action(channel, headers);
        }
        // A CANCELLED the user did not ask for (the server or a proxy ended the call) is an error like any other.
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {ex.StatusCode}: {ex.Status.Detail}");
            return 1;
        }
    }
}
