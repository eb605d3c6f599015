using System.Buffers;
using System.Text;
using Google.Protobuf;
using S3Router.Api.V1;

namespace S3Router.Gateway.Proxy;

/// <summary>
/// A RecognizeRequest kept as the bytes the caller sent, with the few fields the gateway reads for validation and
/// routing. The audio is not copied out of the bytes (only its length is read), and the same bytes go to the pod, so
/// unknown fields travel intact and a retry or hedge re-sends exactly what the caller sent.
/// </summary>
internal sealed class ForwardedRecognizeRequest
{
    // RecognizeRequest, RecognitionAudio (speech.proto): field numbers and wire types.
    private const uint TaskTag = (1 << 3) | 2, LanguageTag = (2 << 3) | 2, ConfigTag = (3 << 3) | 2, AudioTag = (4 << 3) | 2;
    private const uint MaskRefTag = (5 << 3) | 2, AdditionalRouteTag = (6 << 3) | 2;
    private const uint ContentTag = (1 << 3) | 2, UriTag = (2 << 3) | 2;

    // Protobuf refuses strings that are not valid UTF-8; so does the gateway, rather than forward what the pod would refuse.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ForwardedRecognizeRequest(byte[] bytes) => Bytes = bytes;

    /// <summary>The serialized request, exactly as received. Never modified.</summary>
    public byte[] Bytes { get; }

    public string Task { get; private set; } = "";

    public string LanguageCode { get; private set; } = "";

    public string MaskRef { get; private set; } = "";

    /// <summary>The config (small: parsed), or null when the request has none.</summary>
    public RecognitionConfig? Config { get; private set; }

    /// <summary>Which audio source is set; <see cref="RecognitionAudio.AudioSourceOneofCase.None"/> when there is no audio.</summary>
    public RecognitionAudio.AudioSourceOneofCase AudioSource { get; private set; }

    /// <summary>Length of <c>audio.content</c> in bytes (the bytes themselves stay in <see cref="Bytes"/>).</summary>
    public int ContentLength { get; private set; }

    /// <summary><c>audio.uri</c> when that is the source, else empty.</summary>
    public string Uri { get; private set; } = "";

    public List<RouteSelector> AdditionalRoutes { get; } = [];

    /// <summary>Why the bytes are not a valid RecognizeRequest, or null when they are.</summary>
    public string? Malformed { get; private set; }

    /// <summary>Reads <paramref name="payload"/> (copied once into <see cref="Bytes"/>). Never throws on bad bytes: see <see cref="Malformed"/>.</summary>
    public static ForwardedRecognizeRequest Read(ReadOnlySequence<byte> payload) => Read(payload.ToArray());

    /// <summary>Reads <paramref name="bytes"/>, which the result keeps (do not change them afterwards). Never throws on bad bytes.</summary>
    public static ForwardedRecognizeRequest Read(byte[] bytes)
    {
        var request = new ForwardedRecognizeRequest(bytes);
        try
        {
            request.Malformed = request.ReadFields();
        }
        catch (InvalidProtocolBufferException ex)
        {
            // config or an additional route did not parse
            request.Malformed = ex.Message;
        }
        catch (DecoderFallbackException)
        {
            request.Malformed = "a string field is not valid UTF-8";
        }
        return request;
    }

    /// <summary>The wire form of a parsed request (the typed path, and tests).</summary>
    public static ForwardedRecognizeRequest Of(RecognizeRequest request) => Read(request.ToByteArray());

    // Protobuf's rules: a field seen twice takes the last value (strings, the audio oneof) or is merged (config) or
    // appended (additional_routes); a known field number with an unexpected wire type is an unknown field, and unknown
    // fields are skipped.
    private string? ReadFields()
    {
        var reader = new ProtobufWireReader(Bytes);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var tag))
            {
                return reader.Error;
            }
            switch (tag)
            {
                case TaskTag or LanguageTag or MaskRefTag:
                    if (!reader.TryReadLengthDelimited(out var text))
                    {
                        return reader.Error;
                    }
                    var value = Utf8.GetString(text);
                    if (tag == TaskTag)
                    {
                        Task = value;
                    }
                    else if (tag == LanguageTag)
                    {
                        LanguageCode = value;
                    }
                    else
                    {
                        MaskRef = value;
                    }
                    break;
                case ConfigTag:
                    if (!reader.TryReadLengthDelimited(out var config))
                    {
                        return reader.Error;
                    }
                    Config ??= new RecognitionConfig();
                    Config.MergeFrom(config);
                    break;
                case AudioTag:
                    if (!reader.TryReadLengthDelimited(out var audio))
                    {
                        return reader.Error;
                    }
                    if (ReadAudio(audio) is { } error)
                    {
                        return "audio: " + error;
                    }
                    break;
                case AdditionalRouteTag:
                    if (!reader.TryReadLengthDelimited(out var route))
                    {
                        return reader.Error;
                    }
                    AdditionalRoutes.Add(RouteSelector.Parser.ParseFrom(route));
                    break;
                default:
                    if (!reader.TrySkipField(tag))
                    {
                        return reader.Error;
                    }
                    break;
            }
        }
        return null;
    }

    private string? ReadAudio(ReadOnlySpan<byte> audio)
    {
        // An audio message present but empty still counts as set, with no source (like the parsed message).
        var reader = new ProtobufWireReader(audio);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var tag))
            {
                return reader.Error;
            }
            if (tag is ContentTag or UriTag)
            {
                if (!reader.TryReadLengthDelimited(out var value))
                {
                    return reader.Error;
                }
                AudioSource = tag == ContentTag ? RecognitionAudio.AudioSourceOneofCase.Content : RecognitionAudio.AudioSourceOneofCase.Uri;
                ContentLength = tag == ContentTag ? value.Length : 0;
                Uri = tag == UriTag ? Utf8.GetString(value) : "";
            }
            else if (!reader.TrySkipField(tag))
            {
                return reader.Error;
            }
        }
        return null;
    }
}
