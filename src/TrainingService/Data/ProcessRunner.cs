using System.Diagnostics;

namespace S3Router.TrainingService.Data;

/// <summary>Runs a synthesizer process to completion and turns a failure into a message with its stderr.</summary>
internal static class ProcessRunner
{
    public static async Task RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new SynthesisException($"cannot start '{fileName}' ({ex.Message}); is its Debian package installed?", ex);
        }
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await stdout;
        var error = await stderr;
        if (process.ExitCode != 0)
        {
            throw new SynthesisException($"'{fileName}' exited with code {process.ExitCode}: {error.Trim()}");
        }
    }
}
