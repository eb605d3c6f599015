using System.Diagnostics;

namespace S3Router.EndToEnd.Tests;

/// <summary>Runs a program no one here wrote (buf, python3, espeak-ng) and captures what it prints.</summary>
internal static class ExternalTool
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/> for at most 2 minutes.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Like <see cref="RunAsync"/> but throws with stderr when the exit code is not 0; returns stdout.</summary>
    public static async Task<string> RunCheckedAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var (exitCode, stdout, stderr) = await RunAsync(file, arguments, cancellationToken);
        return exitCode == 0 ? stdout : throw new InvalidOperationException($"{file} exited with {exitCode}: {stderr}");
    }

    /// <summary>Synthesizes <paramref name="text"/> with espeak-ng into a WAV file (22.05 kHz, 16-bit mono) and returns its bytes.</summary>
    public static async Task<byte[]> SpeakAsync(string text, string wavPath, CancellationToken cancellationToken)
    {
        await RunCheckedAsync("espeak-ng", ["-v", "en", "-w", wavPath, text], cancellationToken);
        return await File.ReadAllBytesAsync(wavPath, cancellationToken);
    }
}
