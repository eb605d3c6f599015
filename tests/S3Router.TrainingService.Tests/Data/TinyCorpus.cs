using S3Router.TrainingService.Data;

namespace S3Router.TrainingService.Tests.Data;

/// <summary>A tiny espeak-ng corpus (ASR en + de, four speakers) built once for the corpus tests, seconds to make.</summary>
public sealed class TinyCorpus : IAsyncLifetime
{
    public const string Fortunes = "/usr/share/games/fortunes";

    public string Root { get; } = Directory.CreateTempSubdirectory("s3r-corpus-").FullName;

    internal CorpusOptions Options { get; private set; } = null!;

    internal CorpusSummary? Summary { get; private set; }

    public static bool ToolsPresent => Directory.Exists(Fortunes) && File.Exists("/usr/bin/espeak-ng");

    internal static CorpusOptions OptionsFor(string output) => new()
    {
        OutputDirectory = output,
        Seed = 7,
        Tasks = CorpusTasks.Asr | CorpusTasks.Speaker,
        Languages = ["de", "en"],
        Engines = new HashSet<SynthEngine> { SynthEngine.Espeak },
        AsrTrainMinutes = 0.25,
        AsrSmallTrainMinutes = 0.1,
        AsrValidMinutes = 0.05,
        AsrTestMinutes = 0.05,
        Speakers = 4,
        SpeakerTrainPerSpeaker = 2,
        SpeakerValidPerSpeaker = 1,
        SpeakerTestPerSpeaker = 1,
    };

    public async ValueTask InitializeAsync()
    {
        Options = OptionsFor(Path.Combine(Root, "a"));
        if (ToolsPresent)
        {
            Summary = await new CorpusBuilder().BuildAsync(Options, null, CancellationToken.None);
        }
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return ValueTask.CompletedTask;
    }
}
