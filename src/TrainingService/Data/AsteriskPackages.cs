using S3Router.Core.Errors;

namespace S3Router.TrainingService.Data;

/// <summary>
/// Finds what Debian's Asterisk prompt packages install: <c>asterisk-core-sounds-&lt;lang&gt;</c> puts the transcript
/// list under <c>/usr/share/doc</c>, <c>asterisk-core-sounds-&lt;lang&gt;-g722</c> one voice folder
/// (<c>/usr/share/asterisk/sounds/en_US_f_Allison</c>) of <c>.g722</c> files, some in subfolders (<c>digits/1.g722</c>).
/// </summary>
internal static class AsteriskPackages
{
    public static string TranscriptPackage(string code) => $"asterisk-core-sounds-{code}";

    public static string AudioPackage(string code) => $"asterisk-core-sounds-{code}-g722";

    /// <summary>The transcript list, or null when the package is not installed.</summary>
    public static string? FindTranscripts(string docDirectory, string code)
    {
        var stem = Path.Combine(docDirectory, TranscriptPackage(code), $"core-sounds-{code}.txt");
        return File.Exists(stem + ".gz") ? stem + ".gz" : File.Exists(stem) ? stem : null;
    }

    /// <summary>The voice folder (<c>&lt;lang&gt;_&lt;REGION&gt;_&lt;sex&gt;_&lt;Name&gt;</c>, not the alternatives
    /// symlinks <c>en</c> and <c>en_US</c>) that holds G.722 files, or null when the package is not installed.</summary>
    public static string? FindVoice(string soundsDirectory, string code)
    {
        if (!Directory.Exists(soundsDirectory))
        {
            return null;
        }
        return Directory.EnumerateDirectories(soundsDirectory, code + "_*")
            .Where(d => new DirectoryInfo(d).LinkTarget is null && Path.GetFileName(d).Count(c => c == '_') >= 3)
            .Order(StringComparer.Ordinal)
            .FirstOrDefault(d => Directory.EnumerateFiles(d, "*.g722", SearchOption.AllDirectories).Any());
    }

    /// <summary>Every recording of a voice folder by prompt name (relative path without extension, '/'-separated).</summary>
    public static SortedDictionary<string, string> Recordings(string voiceDirectory)
    {
        var recordings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(voiceDirectory, "*.g722", SearchOption.AllDirectories))
        {
            var name = Path.ChangeExtension(Path.GetRelativePath(voiceDirectory, file), null).Replace(Path.DirectorySeparatorChar, '/');
            recordings[name] = file;
        }
        return recordings;
    }

    /// <summary>Throws with the apt command when ffmpeg cannot be found.</summary>
    /// <exception cref="FailedPreconditionException">ffmpeg is missing.</exception>
    public static void RequireFfmpeg(string ffmpeg)
    {
        var found = ffmpeg.Contains('/', StringComparison.Ordinal)
            ? File.Exists(ffmpeg)
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Any(dir => File.Exists(Path.Combine(dir, ffmpeg)));
        if (!found)
        {
            throw new FailedPreconditionException(
                $"'{ffmpeg}' was not found; it decodes the G.722 prompts. Install the Debian package ffmpeg (apt-get install ffmpeg, or scripts/setup.sh)");
        }
    }
}
