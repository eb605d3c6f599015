using System.ComponentModel;
using System.Diagnostics;
using S3Router.Core.Errors;

namespace S3Router.Core.Analysis;

/// <summary>
/// Runs <c>espeak-ng -q -x --ipa --tie -v VOICE TEXT</c> and returns the IPA it prints (multi-letter phonemes joined
/// with a tie bar, so <see cref="IpaSegmenter"/> keeps affricates and diphthongs whole).
/// </summary>
/// <param name="executable">The espeak-ng program. Default: <c>espeak-ng</c> from PATH.</param>
public sealed class EspeakPhonemizer(string executable = "espeak-ng")
{
    /// <summary>The IPA transcription of <paramref name="text"/> in <paramref name="voice"/> (an espeak-ng voice, e.g. <c>de</c>).</summary>
    /// <exception cref="InvalidInputException">espeak-ng has no such voice.</exception>
    /// <exception cref="FailedPreconditionException">espeak-ng is not installed or failed.</exception>
    public async Task<string> PhonemizeAsync(string voice, string text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(voice);
        ArgumentNullException.ThrowIfNull(text);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        // An argument list, never a shell line: the voice and text reach espeak-ng as they are.
        foreach (var argument in new[] { "-q", "-x", "--ipa", "--tie", "-v", voice, "--", text })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new FailedPreconditionException($"could not start {executable}");
        }
        catch (Win32Exception e)
        {
            throw new FailedPreconditionException($"{executable} is not installed (apt-get install espeak-ng): {e.Message}", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                throw;
            }

            var (ipa, message) = (await output, (await error).Trim());
            if (process.ExitCode != 0 || message.Contains("voice does not exist", StringComparison.OrdinalIgnoreCase))
            {
                if (message.Contains("voice", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidInputException($"espeak-ng has no voice '{voice}' ({message}); see espeak-ng --voices", "languages");
                }
                throw new FailedPreconditionException($"{executable} failed for voice '{voice}' with exit code {process.ExitCode}: {message}");
            }

            return ipa;
        }
    }
}
