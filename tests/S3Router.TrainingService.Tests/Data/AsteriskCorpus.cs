using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

/// <summary>A small real-speech corpus from the installed Asterisk packages (scripts/setup.sh installs them): three
/// languages, a few dozen shared prompt names, built once for the Asterisk tests in seconds.</summary>
public sealed class AsteriskCorpus : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("s3r-asterisk-").FullName;

    internal AsteriskOptions Options { get; private set; } = null!;

    internal AsteriskSummary Summary { get; private set; } = null!;

    internal static AsteriskOptions OptionsFor(string output) => new()
    {
        OutputDirectory = output,
        Languages = ["en", "fr", "ru"],
        Seed = 5,
        TrainFraction = 0.3,
        MaxPrompts = 24,
    };

    public async ValueTask InitializeAsync()
    {
        Options = OptionsFor(Path.Combine(Root, "a"));
        Summary = await new AsteriskCorpusBuilder().BuildAsync(Options, null, CancellationToken.None);
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return ValueTask.CompletedTask;
    }
}
