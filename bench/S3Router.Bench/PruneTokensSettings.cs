using System.Globalization;
using S3Router.Core.Errors;

namespace S3Router.Bench;

/// <summary>
/// Command line of <c>prune-tokens</c>. Without <c>--manifest-dir</c> it measures the demo route on a few espeak-ng
/// sentences (the original setup); with it, on a fairseq test split. <c>{lang}</c> in <c>--route</c> and
/// <c>--manifest-dir</c> is replaced by each of <c>--languages</c>.
/// </summary>
internal sealed record PruneTokensSettings
{
    public const string Usage =
        "usage: S3Router.Bench prune-tokens [--route FILE] [--manifest-dir DIR] [--split test] [--languages es,de] [--limit N]\n" +
        "         [--backbone models/tiny-ssl] [--targets 1.0,0.9,0.8,0.7,0.6,0.5] [--rounds 3]\n" +
        "         [--retrain-steps 0] [--retrain-lr 2e-3] [--train-split train_10min] [--work .artifacts/prune-tokens] [--parallel 2]\n" +
        "  {lang} in --route / --manifest-dir is replaced by each language; --retrain-steps > 0 runs a JOB_KIND_STRUCTURED_PRUNE\n" +
        "  job per target (head retrained on the route's masked backbone, 1 libtorch thread) and needs --manifest-dir";

    /// <summary>Placeholder for the language in <see cref="Route"/> and <see cref="ManifestDir"/>.</summary>
    public const string LanguagePlaceholder = "{lang}";

    /// <summary>Route bundle; relative paths are from the repository root. Default: the demo route asr-en.</summary>
    public string Route { get; init; } = "models/tiny-ssl/routes/asr-en.safetensors";

    /// <summary>fairseq manifest directory of the test audio, or null for the espeak-ng demo sentences.</summary>
    public string? ManifestDir { get; init; }

    public string Split { get; init; } = "test";

    /// <summary>Languages substituted for <see cref="LanguagePlaceholder"/>; empty when there is none.</summary>
    public IReadOnlyList<string> Languages { get; init; } = [];

    /// <summary>First N utterances of the split only; 0 = all.</summary>
    public int Limit { get; init; }

    public string Backbone { get; init; } = "models/tiny-ssl";

    /// <summary>Fractions of FLOPs kept (1.0 = no structured pruning, the reference row).</summary>
    public IReadOnlyList<double> Targets { get; init; } = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5];

    /// <summary>Timed runs per utterance and session; the median counts.</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Head-retraining steps of the structured-prune jobs; 0 = no jobs.</summary>
    public int RetrainSteps { get; init; }

    public double RetrainLearningRate { get; init; } = 2e-3;

    public string TrainSplit { get; init; } = "train_10min";

    public string Work { get; init; } = ".artifacts/prune-tokens";

    public int Parallel { get; init; } = 2;

    /// <summary>One measured route per language (one entry with language "" when there is no placeholder).</summary>
    public IReadOnlyList<(string Language, string Route, string? ManifestDir)> Runs() =>
        Languages.Count == 0
            ? [("", Route, ManifestDir)]
            : Languages.Select(l => (l, Route.Replace(LanguagePlaceholder, l, StringComparison.Ordinal),
                ManifestDir?.Replace(LanguagePlaceholder, l, StringComparison.Ordinal))).ToList();

    /// <summary>Parses the arguments after the command name; bad input throws <see cref="InvalidInputException"/>.</summary>
    public static PruneTokensSettings Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new InvalidInputException($"expected an option (--name value); found '{args[i]}'", args[i]);
            }

            if (i + 1 >= args.Count)
            {
                throw new InvalidInputException($"option {args[i]} needs a value", args[i]);
            }

            values[args[i][2..]] = args[i + 1];
        }

        var settings = new PruneTokensSettings();
        var known = new Dictionary<string, Func<PruneTokensSettings, string, PruneTokensSettings>>(StringComparer.Ordinal)
        {
            ["route"] = (s, v) => s with { Route = v },
            ["manifest-dir"] = (s, v) => s with { ManifestDir = v },
            ["split"] = (s, v) => s with { Split = v },
            ["languages"] = (s, v) => s with { Languages = List(v, "languages") },
            ["limit"] = (s, v) => s with { Limit = Int(v, "limit", min: 0) },
            ["backbone"] = (s, v) => s with { Backbone = v },
            ["targets"] = (s, v) => s with { Targets = List(v, "targets").Select(t => Fraction(t, "targets")).ToList() },
            ["rounds"] = (s, v) => s with { Rounds = Int(v, "rounds", min: 1) },
            ["retrain-steps"] = (s, v) => s with { RetrainSteps = Int(v, "retrain-steps", min: 0) },
            ["retrain-lr"] = (s, v) => s with { RetrainLearningRate = Fraction(v, "retrain-lr") },
            ["train-split"] = (s, v) => s with { TrainSplit = v },
            ["work"] = (s, v) => s with { Work = v },
            ["parallel"] = (s, v) => s with { Parallel = Int(v, "parallel", min: 1) },
        };
        foreach (var (name, value) in values)
        {
            if (!known.TryGetValue(name, out var apply))
            {
                throw new InvalidInputException($"unknown option --{name}", name);
            }

            settings = apply(settings, value);
        }

        var placeholder = settings.Route.Contains(LanguagePlaceholder, StringComparison.Ordinal)
            || (settings.ManifestDir?.Contains(LanguagePlaceholder, StringComparison.Ordinal) ?? false);
        if (placeholder && settings.Languages.Count == 0)
        {
            throw new InvalidInputException($"--route or --manifest-dir holds {LanguagePlaceholder}: give --languages", "languages");
        }

        if (!placeholder && settings.Languages.Count > 0)
        {
            throw new InvalidInputException($"--languages needs {LanguagePlaceholder} in --route or --manifest-dir, else every language measures the same files", "languages");
        }

        if (settings.RetrainSteps > 0 && settings.ManifestDir is null)
        {
            throw new InvalidInputException("--retrain-steps needs --manifest-dir (the jobs train on its --train-split)", "retrain-steps");
        }

        if (!settings.Targets.Contains(1.0))
        {
            settings = settings with { Targets = [1.0, .. settings.Targets] }; // the unpruned reference row
        }

        return settings;
    }

    private static List<string> List(string value, string field)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return items.Count > 0 ? items : throw new InvalidInputException($"--{field} is an empty list", field);
    }

    private static int Int(string value, string field, int min) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
            ? n
            : throw new InvalidInputException($"--{field} must be a whole number ≥ {min}; found '{value}'", field);

    private static double Fraction(string value, string field) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 && x <= 1
            ? x
            : throw new InvalidInputException($"--{field} must be in (0, 1]; found '{value}'", field);
}
