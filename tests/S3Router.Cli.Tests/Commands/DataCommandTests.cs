namespace S3Router.Cli.Tests.Commands;

/// <summary><c>s3r data synth</c> on a smoke-test corpus (espeak-ng, one language, scale 0.01: 14 files in about 3 s).</summary>
public sealed class DataCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3r-data-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task DataSynth_SmokeCorpusTwice_PrintsEachManifestThenReusesEveryFile()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/espeak-ng") && Directory.Exists("/usr/share/games/fortunes"), "needs espeak-ng and the fortunes packages");
        string[] args = ["data", "synth", "-o", _root, "--tasks", "asr", "--languages", "en", "--engines", "espeak", "--scale", "0.01"];
        using var first = new StringWriter();
        using var second = new StringWriter();

        var firstExit = await CliApp.RunAsync(args, first, TextWriter.Null, TestContext.Current.CancellationToken);
        var secondExit = await CliApp.RunAsync(args, second, TextWriter.Null, TestContext.Current.CancellationToken);

        Assert.Equal((0, 0), (firstExit, secondExit));
        var lines = first.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var manifests = lines.Where(l => l.Contains(" utt ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["asr/en/train_10min.tsv", "asr/en/train_1h.tsv", "asr/en/valid.tsv", "asr/en/test.tsv"], manifests.Select(l => l.Split(' ')[0]));
        var files = Directory.GetFiles(Path.Combine(_root, "asr", "en"), "*.wav", SearchOption.AllDirectories).Length;
        Assert.Equal($"{files} files: {files} synthesized, 0 reused, 0 failed", lines[^1]);
        Assert.EndsWith($"{files} files: 0 synthesized, {files} reused, 0 failed", second.ToString().TrimEnd(), StringComparison.Ordinal);
    }
}
