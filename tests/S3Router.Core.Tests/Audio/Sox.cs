using System.Diagnostics;

namespace S3Router.Core.Tests.Audio;

/// <summary>Runs the sox command line (installed by scripts/setup.sh) in a scratch folder.</summary>
internal sealed class Sox : IDisposable
{
    private static readonly Lazy<bool> s_available = new(() =>
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("sox", "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            process!.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    public Sox()
    {
        Assert.SkipUnless(s_available.Value, "sox is not installed (scripts/setup.sh installs it)");
        Directory = System.IO.Directory.CreateTempSubdirectory("s3router-audio-").FullName;
    }

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Runs sox with the given arguments (file names relative to <see cref="Directory"/>).</summary>
    public void Run(params string[] arguments)
    {
        var info = new ProcessStartInfo("sox")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"sox {string.Join(' ', arguments)} failed: {stderr.Result}");
    }

    public byte[] Read(string name) => File.ReadAllBytes(PathOf(name));

    public void Write(string name, byte[] content) => File.WriteAllBytes(PathOf(name), content);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
