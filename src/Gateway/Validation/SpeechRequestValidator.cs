using System.Globalization;
using Microsoft.Extensions.Options;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Core.Routes;
using S3Router.Gateway.Proxy;

namespace S3Router.Gateway.Validation;

/// <summary>
/// Checks Speech requests before any of them travels to a pod, and reports every bad field at once as
/// <see cref="InvalidInputException"/> (<c>INVALID_ARGUMENT</c> with google.rpc.BadRequest field violations).
/// Field paths use the proto names, e.g. <c>config.max_alternatives</c>, <c>additional_routes[1].language_code</c>.
/// </summary>
internal sealed class SpeechRequestValidator(IOptions<GatewayOptions> options)
{
    /// <summary>Largest n-best list (<c>max_alternatives</c>).</summary>
    public const int MaxAlternatives = 10;

    /// <summary>Largest CTC prefix beam (<c>beam_width</c>).</summary>
    public const int MaxBeamWidth = 64;

    /// <summary>Largest top-k of a classifier (<c>max_classes</c>).</summary>
    public const int MaxClasses = 100;

    /// <summary>Most channels of headerless audio.</summary>
    public const int MaxChannels = 32;

    /// <summary>Lowest and highest declared sample rate, in Hz (as the Core audio decoder accepts).</summary>
    public const int MinSampleRateHertz = 8_000, MaxSampleRateHertz = 192_000;

    /// <summary>Longest audio URI, in characters.</summary>
    public const int MaxUriLength = 2048;

    /// <summary>Largest ListRoutes page.</summary>
    public const int MaxPageSize = 1000;

    private static readonly TimeSpan MinInterimInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxInterimInterval = TimeSpan.FromSeconds(60);

    private readonly GatewayOptions _options = options.Value;

    public void Validate(RecognizeRequest request)
    {
        var audio = request.Audio?.AudioSourceCase ?? RecognitionAudio.AudioSourceOneofCase.None;
        Validate(request.Task, request.LanguageCode, request.MaskRef, request.Config, request.AdditionalRoutes,
            audio, audio == RecognitionAudio.AudioSourceOneofCase.Content ? request.Audio!.Content.Length : 0, request.Audio?.Uri ?? "");
    }

    /// <summary>Checks a request kept as its bytes: the same checks and messages as a parsed one; bytes that are no RecognizeRequest fail too.</summary>
    public void Validate(ForwardedRecognizeRequest request)
    {
        if (request.Malformed is { } reason)
        {
            throw new InvalidInputException($"The request is not a valid s3router.v1.RecognizeRequest: {reason}.");
        }
        Validate(request.Task, request.LanguageCode, request.MaskRef, request.Config, request.AdditionalRoutes,
            request.AudioSource, request.ContentLength, request.Uri);
    }

    private void Validate(
        string task, string language, string maskRef, RecognitionConfig? config, IReadOnlyList<RouteSelector> additionalRoutes,
        RecognitionAudio.AudioSourceOneofCase audio, int contentLength, string uri)
    {
        var violations = new List<FieldViolation>();
        CheckRoute(task, language, maskRef, "", violations);
        CheckConfig(config, "config", violations);
        CheckAudio(audio, contentLength, uri, violations);
        CheckAdditionalRoutes(task, language, additionalRoutes, "additional_routes", violations);
        InvalidInputException.ThrowIfAny(violations);
    }

    /// <summary>Checks the first message of a stream: it must carry a valid streaming_config.</summary>
    public void ValidateFirst(StreamingRecognizeRequest first)
    {
        if (first.StreamingRequestCase != StreamingRecognizeRequest.StreamingRequestOneofCase.StreamingConfig)
        {
            throw new InvalidInputException(
                "The first message of a stream must carry streaming_config (task, language_code, config); audio_content follows in later messages.",
                "streaming_config");
        }
        var config = first.StreamingConfig;
        var violations = new List<FieldViolation>();
        CheckRoute(config.Task, config.LanguageCode, config.MaskRef, "streaming_config.", violations);
        CheckConfig(config.Config, "streaming_config.config", violations);
        CheckAdditionalRoutes(config.Task, config.LanguageCode, config.AdditionalRoutes, "streaming_config.additional_routes", violations);
        if (config.InterimInterval is { } interval)
        {
            var valid = interval.Seconds >= 0 && interval.Nanos is >= 0 and < 1_000_000_000;
            if (!valid || interval.ToTimeSpan() < MinInterimInterval || interval.ToTimeSpan() > MaxInterimInterval)
            {
                violations.Add(new("streaming_config.interim_interval",
                    $"must be between {MinInterimInterval.TotalMilliseconds:0} ms and {MaxInterimInterval.TotalSeconds:0} s, or unset for 1 s"));
            }
        }
        InvalidInputException.ThrowIfAny(violations);
    }

    /// <summary>Checks a message after the first: only audio may follow the config.</summary>
    public static void ValidateFollowing(StreamingRecognizeRequest message)
    {
        if (message.StreamingRequestCase != StreamingRecognizeRequest.StreamingRequestOneofCase.AudioContent)
        {
            throw new InvalidInputException(
                "Only the first message of a stream may carry streaming_config; every later message carries audio_content.",
                "streaming_config");
        }
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
        if (request.PageSize is < 0 or > MaxPageSize)
        {
            violations.Add(new("page_size", $"is {request.PageSize}; use 0 (100) to {MaxPageSize}"));
        }
        if (request.PageToken.Length > 1024)
        {
            violations.Add(new("page_token", "is longer than 1024 characters; pass next_page_token unchanged"));
        }
        InvalidInputException.ThrowIfAny(violations);
    }

    private static void CheckRoute(string task, string language, string maskRef, string prefix, List<FieldViolation> violations)
    {
        RouteNames.CheckTask(task, prefix + "task", violations);
        RouteNames.CheckLanguage(language, prefix + "language_code", violations);
        RouteNames.ParseMaskRef(maskRef, prefix + "mask_ref", violations);
    }

    private void CheckAdditionalRoutes(string task, string language, IReadOnlyList<RouteSelector> routes, string field, List<FieldViolation> violations)
    {
        if (routes.Count > _options.MaxAdditionalRoutes)
        {
            violations.Add(new(field, $"has {routes.Count} routes; at most {_options.MaxAdditionalRoutes} may run beside the primary route"));
            return;
        }
        var seen = new HashSet<(string, string)> { (task, language) };
        for (var i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            var prefix = string.Create(CultureInfo.InvariantCulture, $"{field}[{i}].");
            CheckRoute(route.Task, route.LanguageCode, route.MaskRef, prefix, violations);
            if (!seen.Add((route.Task, route.LanguageCode)))
            {
                violations.Add(new(prefix + "task", $"route {Shorten(route.Task)}/{Shorten(route.LanguageCode)} is requested twice"));
            }
        }
    }

    private static void CheckConfig(RecognitionConfig? config, string field, List<FieldViolation> violations)
    {
        if (config is null)
        {
            return; // every field's default is valid
        }
        if (!Enum.IsDefined(config.Encoding))
        {
            violations.Add(new($"{field}.encoding", $"{(int)config.Encoding} is not an AudioEncoding"));
        }
        if (config.SampleRateHertz != 0 && config.SampleRateHertz is < MinSampleRateHertz or > MaxSampleRateHertz)
        {
            violations.Add(new($"{field}.sample_rate_hertz", $"is {config.SampleRateHertz} Hz; use {MinSampleRateHertz} to {MaxSampleRateHertz} Hz, or 0 for WAV"));
        }
        CheckRange(config.AudioChannelCount, MaxChannels, $"{field}.audio_channel_count", "0 means 1", violations);
        CheckRange(config.MaxAlternatives, MaxAlternatives, $"{field}.max_alternatives", "0 means 1", violations);
        CheckRange(config.BeamWidth, MaxBeamWidth, $"{field}.beam_width", "0 or 1 means greedy decoding", violations);
        CheckRange(config.MaxClasses, MaxClasses, $"{field}.max_classes", "0 means 1", violations);
    }

    private static void CheckRange(int value, int max, string field, string zeroMeans, List<FieldViolation> violations)
    {
        if (value < 0 || value > max)
        {
            violations.Add(new(field, string.Create(CultureInfo.InvariantCulture, $"is {value}; use 0 to {max} ({zeroMeans})")));
        }
    }

    private void CheckAudio(RecognitionAudio.AudioSourceOneofCase audio, int contentLength, string uri, List<FieldViolation> violations)
    {
        switch (audio)
        {
            case RecognitionAudio.AudioSourceOneofCase.Content:
                CheckContent(contentLength, violations);
                break;
            case RecognitionAudio.AudioSourceOneofCase.Uri:
                if (uri.Length == 0 || uri.Length > MaxUriLength || !Uri.TryCreate(uri, UriKind.Absolute, out _))
                {
                    violations.Add(new("audio.uri", $"must be an absolute URI of at most {MaxUriLength} characters"));
                }
                break;
            default:
                violations.Add(new("audio", "is required: set audio.content (the bytes) or audio.uri"));
                break;
        }
    }

    private void CheckContent(int length, List<FieldViolation> violations)
    {
        if (length == 0)
        {
            violations.Add(new("audio.content", "is empty"));
        }
        else if (length > _options.MaxAudioBytes)
        {
            violations.Add(new("audio.content", string.Create(CultureInfo.InvariantCulture,
                $"is {length} bytes, more than the limit of {_options.MaxAudioBytes} bytes; send long audio with StreamingRecognize")));
        }
    }

    private static string Shorten(string value) => value.Length <= 80 ? value : string.Concat(value.AsSpan(0, 80), "...");
}
