using System.Text.RegularExpressions;
using S3Router.Api.V1;
using S3Router.Core.Errors;

namespace S3Router.InferenceService.Inference;

/// <summary>
/// Validation of Speech requests, every violation reported at once with its field path (INVALID_ARGUMENT with a
/// google.rpc.BadRequest). Audio bytes themselves are checked by the Core decoder.
/// </summary>
internal static partial class SpeechRequests
{
    public const int MaxAlternatives = 10;
    public const int MaxBeamWidth = 64;
    public const int MaxClasses = 100;
    public const int MaxRoutesPerRequest = 16;
    public static readonly TimeSpan MinInterimInterval = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan DefaultInterimInterval = TimeSpan.FromSeconds(1);

    /// <summary>The routes of a request: the primary one, then the additional ones in order.</summary>
    public static List<RouteSelector> Routes(string task, string language, string maskRef, IEnumerable<RouteSelector> additional) =>
        [new RouteSelector { Task = task, LanguageCode = language, MaskRef = maskRef }, .. additional];

    public static void Validate(RecognizeRequest request)
    {
        var violations = new List<FieldViolation>();
        CheckRoute(request.Task, request.LanguageCode, request.MaskRef, "", violations);
        CheckAdditional(request.AdditionalRoutes, "additional_routes", violations);
        CheckConfig(request.Config, "config", violations);
        switch (request.Audio?.AudioSourceCase ?? RecognitionAudio.AudioSourceOneofCase.None)
        {
            case RecognitionAudio.AudioSourceOneofCase.Content when request.Audio!.Content.IsEmpty:
            case RecognitionAudio.AudioSourceOneofCase.None:
                violations.Add(new("audio.content", "is required: the audio bytes (WAV, or LINEAR16/MULAW/ALAW with sample_rate_hertz)"));
                break;
            case RecognitionAudio.AudioSourceOneofCase.Uri:
                violations.Add(new("audio.uri", "is not supported by this server; send the bytes in audio.content"));
                break;
        }

        ThrowIfAny(violations);
    }

    public static void Validate(StreamingRecognitionConfig config)
    {
        var violations = new List<FieldViolation>();
        const string prefix = "streaming_config.";
        CheckRoute(config.Task, config.LanguageCode, config.MaskRef, prefix, violations);
        CheckAdditional(config.AdditionalRoutes, prefix + "additional_routes", violations);
        CheckConfig(config.Config, prefix + "config", violations);
        if (config.InterimInterval is { } interval)
        {
            if (interval.Seconds < 0 || interval.Nanos < 0 || interval.ToTimeSpan() < MinInterimInterval)
            {
                violations.Add(new(prefix + "interim_interval", $"must be at least {MinInterimInterval.TotalMilliseconds} ms"));
            }
        }

        ThrowIfAny(violations);
    }

    public static void Validate(ListRoutesRequest request)
    {
        var violations = new List<FieldViolation>();
        if (request.Task.Length > 0 && !TaskPattern().IsMatch(request.Task))
        {
            violations.Add(new("task", TaskHelp(request.Task)));
        }

        if (request.LanguageCode.Length > 0 && !LanguagePattern().IsMatch(request.LanguageCode))
        {
            violations.Add(new("language_code", LanguageHelp(request.LanguageCode)));
        }

        if (request.PageSize is < 0 or > 1000)
        {
            violations.Add(new("page_size", $"is {request.PageSize}; use 0 (100) to 1000"));
        }

        ThrowIfAny(violations);
    }

    private static void CheckAdditional(IList<RouteSelector> routes, string field, List<FieldViolation> violations)
    {
        if (routes.Count + 1 > MaxRoutesPerRequest)
        {
            violations.Add(new(field, $"has {routes.Count} routes; at most {MaxRoutesPerRequest - 1} may be added"));
            return;
        }

        for (var i = 0; i < routes.Count; i++)
        {
            CheckRoute(routes[i].Task, routes[i].LanguageCode, routes[i].MaskRef, $"{field}[{i}].", violations);
        }
    }

    private static void CheckRoute(string task, string language, string maskRef, string prefix, List<FieldViolation> violations)
    {
        if (!TaskPattern().IsMatch(task))
        {
            violations.Add(new(prefix + "task", TaskHelp(task)));
        }

        if (!LanguagePattern().IsMatch(language))
        {
            violations.Add(new(prefix + "language_code", LanguageHelp(language)));
        }

        if (maskRef.Length > 0 && !RefPattern().IsMatch(maskRef))
        {
            violations.Add(new(prefix + "mask_ref",
                "is not a mask ref: an alias (\"production\", \"canary\"), a version (\"v12\" or \"12\") or a digest (\"sha256:<64 hex>\")"));
        }
    }

    private static void CheckConfig(RecognitionConfig? config, string prefix, List<FieldViolation> violations)
    {
        if (config is null)
        {
            return;
        }

        if (config.MaxAlternatives is < 0 or > MaxAlternatives)
        {
            violations.Add(new(prefix + ".max_alternatives", $"is {config.MaxAlternatives}; use 0 (1) to {MaxAlternatives}"));
        }

        if (config.BeamWidth is < 0 or > MaxBeamWidth)
        {
            violations.Add(new(prefix + ".beam_width", $"is {config.BeamWidth}; use 0 or 1 (greedy) to {MaxBeamWidth}"));
        }

        if (config.MaxClasses is < 0 or > MaxClasses)
        {
            violations.Add(new(prefix + ".max_classes", $"is {config.MaxClasses}; use 0 (1) to {MaxClasses}"));
        }
    }

    private static string TaskHelp(string task) => task.Length == 0
        ? "is required: a lowercase identifier such as \"asr\" or \"speaker\""
        : "is not a task: use a lowercase identifier (a-z, 0-9, '_', starting with a letter, at most 64 characters)";

    private static string LanguageHelp(string language) => language.Length == 0
        ? "is required: a BCP-47 tag such as \"en\" or \"de-DE\", or \"und\""
        : "is not a BCP-47 language tag (e.g. \"en\", \"de-DE\", \"cmn-Hans\") or \"und\"";

    private static void ThrowIfAny(List<FieldViolation> violations)
    {
        if (violations.Count > 0)
        {
            throw new InvalidInputException(string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}")), violations);
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex TaskPattern();

    [GeneratedRegex("^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,4}$")]
    private static partial Regex LanguagePattern();

    [GeneratedRegex("^(sha256:[0-9a-f]{64}|v?[0-9]{1,18}|[A-Za-z][A-Za-z0-9_-]{0,63})$")]
    private static partial Regex RefPattern();
}
