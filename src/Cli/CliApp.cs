using System.CommandLine;
using S3Router.Cli.Commands;
using S3Router.Core.Errors;

namespace S3Router.Cli;

/// <summary>The <c>s3r</c> command tree and the one place where errors become a message and an exit code.</summary>
internal static class CliApp
{
    public static RootCommand CreateRootCommand() => new("s3r — the S3Router Services command line")
    {
        HealthCommand.Create(),
        MasksCommand.Create(),
        BackbonesCommand.Create(),
        BackboneCommand.Create(),
        AnalyzeCommand.Create(),
        TrainCommand.Create(),
        DataCommand.Create(),
        PretrainCommand.Create(),
        ProbeCommand.Create(),
        RecognizeCommand.Create(),
        ServeCommand.Create(),
        RegistryConnection.Registry,
        RegistryConnection.ApiKey,
    };

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A typed Core error (bad input, missing file, unfit mask, ...) or an I/O
    /// error prints one line <c>error: message</c> on <paramref name="error"/> and returns 1, never a stack trace.
    /// </summary>
    public static async Task<int> RunAsync(
        string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        var configuration = new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
        };
        try
        {
            return await CreateRootCommand().Parse(args).InvokeAsync(configuration, cancellationToken);
        }
        catch (Exception e) when (e is S3RouterException or IOException or UnauthorizedAccessException)
        {
            await configuration.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }
}
