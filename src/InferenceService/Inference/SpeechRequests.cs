using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Routes;

namespace S3Router.InferenceService.Inference;

/// <summary>
/// Validation of Speech requests, every violation reported at once with its field path (INVALID_ARGUMENT with a
/// google.rpc.BadRequest). Audio bytes themselves are checked by the Core decoder.
/// </summary>
internal static class SpeechRequests
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

        InvalidInputException.ThrowIfAny(violations);
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

        InvalidInputException.ThrowIfAny(violations);
    }

    public static void Validate(ListRoutesRequest request)
    {
        var violations = new List<FieldViolation>();
        if (request.Task.Length > 0)
        {
            RouteNames.CheckTask(request.Task, "task", violations);
        }

        if (request.LanguageCode.Length > 0)
        {
            RouteNames.CheckLanguage(request.LanguageCode, "language_code", violations);
        }

        if (request.PageSize is < 0 or > 1000)
        {
            violations.Add(new("page_size", $"is {request.PageSize}; use 0 (100) to 1000"));
        }

        InvalidInputException.ThrowIfAny(violations);
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
        RouteNames.CheckTask(task, prefix + "task", violations);
        RouteNames.CheckLanguage(language, prefix + "language_code", violations);
        RouteNames.ParseMaskRef(maskRef, prefix + "mask_ref", violations);
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
}
