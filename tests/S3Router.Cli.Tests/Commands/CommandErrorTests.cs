namespace S3Router.Cli.Tests.Commands;

/// <summary>Commands report bad input as one <c>error:</c> line on the writer the caller gives, and a non-zero exit code.</summary>
public sealed class CommandErrorTests
{
    [Fact]
    public async Task DataSynth_UnknownTask_NamesTheValueAndTheChoices()
    {
        // Arrange
        using var error = new StringWriter();
        var output = Path.Combine(Path.GetTempPath(), "s3r-cli-" + Guid.NewGuid().ToString("N"));

        // Act
        var exitCode = await CliApp.RunAsync(["data", "synth", "-o", output, "--tasks", "asr", "dictation"], TextWriter.Null, error, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(2, exitCode);
        Assert.Equal("error: unknown value 'dictation'; expected one of asr, speaker, intent, all", error.ToString().Trim());
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task DataSynth_TasksNone_IsNotAChoice()
    {
        // Arrange
        using var error = new StringWriter();
        var output = Path.Combine(Path.GetTempPath(), "s3r-cli-" + Guid.NewGuid().ToString("N"));

        // Act
        var exitCode = await CliApp.RunAsync(["data", "synth", "-o", output, "--tasks", "none"], TextWriter.Null, error, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: unknown value 'none';", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataSynth_MissingImpulseResponseFolder_NamesItBeforeSynthesizing()
    {
        // Arrange
        using var error = new StringWriter();
        var root = Path.Combine(Path.GetTempPath(), "s3r-cli-" + Guid.NewGuid().ToString("N"));
        var (output, responses) = (Path.Combine(root, "corpus"), Path.Combine(root, "rirs"));

        // Act
        var exitCode = await CliApp.RunAsync(
            ["data", "synth", "-o", output, "--room-copies", "1", "--rir-dir", responses], TextWriter.Null, error, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(2, exitCode);
        Assert.Equal($"error: impulse response folder '{responses}' does not exist", error.ToString().Trim());
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task TrainSubmit_MissingConfig_NamesTheFileBeforeCallingTheService()
    {
        // Arrange: nothing listens on the target, so reaching the service would be a different error.
        using var error = new StringWriter();
        var config = Path.Combine(Path.GetTempPath(), "s3r-cli-" + Guid.NewGuid().ToString("N"), "job.json");

        // Act
        var exitCode = await CliApp.RunAsync(["train", "submit", "--config", config, "--target", "http://127.0.0.1:9"], TextWriter.Null, error, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(2, exitCode);
        Assert.StartsWith($"error: {config}: ", error.ToString(), StringComparison.Ordinal);
    }
}
