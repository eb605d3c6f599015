using System.CommandLine;
using Spectre.Console;

namespace S3Router.Cli.Commands;

/// <summary>
/// Spectre.Console tables and progress bars on the invocation's output writer, so that an in-process caller captures
/// them like every other line a command prints, in the order they were written.
/// </summary>
internal static class OutputConsole
{
    /// <summary>
    /// An <see cref="IAnsiConsole"/> on <c>parse.InvocationConfiguration.Output</c> that detects colours, width and
    /// interactivity as Spectre's static console does for stdout. When the writer is not a terminal,
    /// <paramref name="redirectedWidth"/> (columns) replaces the width Spectre guesses (default: keep its guess).
    /// </summary>
    public static IAnsiConsole Create(ParseResult parse, int? redirectedWidth = null)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(parse.InvocationConfiguration.Output) });
        if (redirectedWidth is { } width && !console.Profile.Out.IsTerminal)
        {
            console.Profile.Width = width;
        }

        return console;
    }

    /// <summary>
    /// True only when <paramref name="console"/> writes to the process's real, non-redirected, interactive terminal:
    /// the one place for live progress bars. Everywhere else (pipes, logs, a caller's writer) commands print plain lines.
    /// </summary>
    public static bool IsLive(IAnsiConsole console) => console.Profile.Out.IsTerminal && console.Profile.Capabilities.Interactive;
}
