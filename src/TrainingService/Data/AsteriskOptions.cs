namespace S3Router.TrainingService.Data;

/// <summary>What <see cref="AsteriskCorpusBuilder"/> builds from Debian's Asterisk prompt packages.</summary>
public sealed record AsteriskOptions
{
    /// <summary>The languages Debian ships Asterisk core prompts for, in G.722 and with transcripts.</summary>
    public static IReadOnlyList<string> DefaultLanguages { get; } = ["en", "es", "fr", "it", "ru"];

    /// <summary>Output folder; <c>asr/&lt;lang&gt;/</c> is created below it, as by <c>s3r data synth</c>. Required.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Languages (ISO 639-1). Default: en, es, fr, it, ru.</summary>
    public IReadOnlyList<string> Languages { get; init; } = DefaultLanguages;

    /// <summary>Seed of the split into <c>train_real</c> and <c>test</c>. Default: 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Share of prompt names that go to <c>train_real</c>; the rest is <c>test</c>. Default: 0.25, range [0, 1).</summary>
    public double TrainFraction { get; init; } = 0.25;

    /// <summary>Keeps only this many usable prompt names, the same names in every language (a fixed choice that does
    /// not depend on the seed), for smoke tests. Default: null (all).</summary>
    public int? MaxPrompts { get; init; }

    /// <summary>Root of the voice folders (<c>en_US_f_Allison</c>, ...). Default: /usr/share/asterisk/sounds.</summary>
    public string SoundsDirectory { get; init; } = "/usr/share/asterisk/sounds";

    /// <summary>Root of the package documentation holding the transcripts. Default: /usr/share/doc.</summary>
    public string DocDirectory { get; init; } = "/usr/share/doc";

    /// <summary>The ffmpeg executable, a name looked up on PATH or a path. Default: ffmpeg.</summary>
    public string Ffmpeg { get; init; } = "ffmpeg";

    /// <summary>Recordings decoded by one ffmpeg process (its start-up dominates a short prompt). Default: 16, at least 1.</summary>
    public int FilesPerProcess { get; init; } = 16;

    /// <summary>ffmpeg processes run at once. Default: <see cref="Environment.ProcessorCount"/>.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}
