using System.Buffers.Binary;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Testing;

namespace S3Router.EndToEnd.Tests;

/// <summary>
/// Seeded generator of malformed Speech calls: garbage and corrupt WAV audio, wrong or unknown encodings, absurd sample
/// rates and channel counts, empty payloads and payloads just above the audio and message limits, unknown routes and
/// refs, invalid tasks/languages/refs/config values, bad ListRoutes pages, and broken streams (audio before config,
/// config twice, no audio, odd LINEAR16, unknown route, bad interim interval, too much audio).
/// </summary>
internal static class StormCases
{
    private const StatusCode Invalid = StatusCode.InvalidArgument;
    private static readonly StatusCode[] InvalidOnly = [Invalid];
    private static readonly StatusCode[] NotFoundOnly = [StatusCode.NotFound];

    private static readonly Func<Random, StormCase>[] Generators =
    [
        GarbageWithoutHeader, WavBadRate, WavBadChannels, WavBadBits, WavBadFormatTag, WavTruncated, WavDataOverrun,
        WavRateMismatch, WavFlippedHeaderBytes, UnsupportedEncoding, UnknownEncoding, Linear16OddLength, RawWithoutRate,
        AbsurdRawRate, ChannelMismatch, EmptyOrMissingAudio, JustAboveAudioLimit, JustAboveMessageLimit, UnknownRoute,
        UnknownMaskRef, InvalidRoute, InvalidConfig, InvalidAdditionalRoutes, UnknownAdditionalRoute, AudioUri,
        RandomG711, ListRoutesBadPage, StreamAudioFirst, StreamConfigTwice, StreamWithoutAudio, StreamOddLinear16,
        StreamUnknownRoute, StreamBadInterimInterval, StreamTooMuchAudio,
    ];

    /// <summary><paramref name="count"/> cases from <paramref name="seed"/>, kinds drawn uniformly.</summary>
    public static List<StormCase> Generate(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Generators[random.Next(Generators.Length)](random))];
    }

    private static StormCase GarbageWithoutHeader(Random r)
    {
        var bytes = Bytes(r, r.Next(1, 2000));
        bytes[0] = (byte)'X'; // never "RIFF"
        return Recognize("garbage-no-header", Request(bytes, AudioEncoding.Unspecified, 0), InvalidOnly);
    }

    private static StormCase WavBadRate(Random r) =>
        Recognize("wav-bad-rate", Request(Wav(r, rate: Pick<uint>(r, 0, 1, 100, 7999, 192_001, 1_000_000, int.MaxValue, 0x80000000, uint.MaxValue))), InvalidOnly);

    private static StormCase WavBadChannels(Random r) =>
        Recognize("wav-bad-channels", Request(Wav(r, channels: 0)), InvalidOnly);

    private static StormCase WavBadBits(Random r) =>
        Recognize("wav-bad-bits", Request(Wav(r, bits: Pick<ushort>(r, 0, 33, 40, 64, 65535))), InvalidOnly);

    private static StormCase WavBadFormatTag(Random r) =>
        Recognize("wav-bad-format", Request(Wav(r, tag: Pick<ushort>(r, 0, 2, 0x11, 0x55, 0xF1AC, 0x1234))), InvalidOnly);

    private static StormCase WavTruncated(Random r)
    {
        var wav = Wav(r);
        return Recognize("wav-truncated", Request(wav[..r.Next(1, 44)]), InvalidOnly);
    }

    private static StormCase WavDataOverrun(Random r)
    {
        var wav = Wav(r);
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(40), (uint)(wav.Length - 44 + r.Next(1, 1_000_000)));
        return Recognize("wav-data-overrun", Request(wav), InvalidOnly);
    }

    private static StormCase WavRateMismatch(Random r) =>
        Recognize("wav-rate-mismatch", Request(Wav(r), AudioEncoding.Unspecified, Pick(r, 8000, 22050, 44100)), InvalidOnly);

    // Random header bytes may still make a valid WAV, so success is a correct answer too.
    private static StormCase WavFlippedHeaderBytes(Random r)
    {
        var wav = Wav(r);
        for (var i = 0; i < r.Next(1, 4); i++)
        {
            wav[r.Next(0, 44)] = (byte)r.Next(256);
        }

        return Recognize("wav-flipped-header", Request(wav), [StatusCode.OK, Invalid]);
    }

    private static StormCase UnsupportedEncoding(Random r)
    {
        var encoding = Pick(r, AudioEncoding.Flac, AudioEncoding.Amr, AudioEncoding.AmrWb, AudioEncoding.OggOpus,
            AudioEncoding.SpeexWithHeaderByte, AudioEncoding.Mp3, AudioEncoding.WebmOpus);
        return Recognize("unsupported-encoding", Request(Bytes(r, r.Next(2, 2000)), encoding, 16000), InvalidOnly);
    }

    private static StormCase UnknownEncoding(Random r) =>
        Recognize("unknown-encoding", Request(Bytes(r, 2000), (AudioEncoding)Pick(r, 11, 12, 99, 1000, -1, int.MaxValue), 16000), InvalidOnly);

    private static StormCase Linear16OddLength(Random r) =>
        Recognize("linear16-odd-length", Request(Bytes(r, (r.Next(1, 1000) * 2) + 1), AudioEncoding.Linear16, 16000), InvalidOnly);

    private static StormCase RawWithoutRate(Random r) =>
        Recognize("raw-without-rate", Request(Bytes(r, 2000), Pick(r, AudioEncoding.Linear16, AudioEncoding.Mulaw, AudioEncoding.Alaw), 0), InvalidOnly);

    private static StormCase AbsurdRawRate(Random r) =>
        Recognize("absurd-sample-rate", Request(Bytes(r, 2000), AudioEncoding.Linear16, Pick(r, -1, 1, 100, 7999, 192_001, int.MaxValue, int.MinValue)), InvalidOnly);

    private static StormCase ChannelMismatch(Random r)
    {
        var request = Request(Bytes(r, (6 * r.Next(1, 300)) + Pick(r, 2, 4)), AudioEncoding.Linear16, 16000);
        request.Config.AudioChannelCount = 3;
        if (r.Next(2) == 0)
        {
            request.Config.AudioChannelCount = Pick(r, -1, 33, int.MaxValue, int.MinValue);
        }

        return Recognize("channel-mismatch", request, InvalidOnly);
    }

    private static StormCase EmptyOrMissingAudio(Random r)
    {
        var request = Request([], AudioEncoding.Linear16, 16000);
        if (r.Next(2) == 0)
        {
            request.Audio = null;
        }

        return Recognize("empty-audio", request, InvalidOnly);
    }

    private static StormCase JustAboveAudioLimit(Random r) =>
        Recognize("above-audio-limit", Request(Bytes(r, ProcessPlatform.MaxAudioBytes + (2 * r.Next(1, 500))), AudioEncoding.Linear16, 16000), InvalidOnly);

    private static StormCase JustAboveMessageLimit(Random r) =>
        Recognize("above-message-limit", Request(Bytes(r, ProcessPlatform.MaxReceiveMessageBytes + r.Next(1, 1000)), AudioEncoding.Linear16, 16000),
            [StatusCode.ResourceExhausted]);

    private static StormCase UnknownRoute(Random r)
    {
        var request = ValidAudio(r);
        (request.Task, request.LanguageCode) = Pick(r, ("intent", "en"), ("asr", "fr"), ("asr", "zz-ZZ"), ("speaker", "en"), ("emotion", "und"));
        return Recognize("unknown-route", request, NotFoundOnly);
    }

    private static StormCase UnknownMaskRef(Random r)
    {
        var request = ValidAudio(r);
        request.MaskRef = Pick(r, "canary", "v99", "42", "sha256:" + Convert.ToHexStringLower(Bytes(r, 32)));
        return Recognize("unknown-mask-ref", request, NotFoundOnly);
    }

    private static StormCase InvalidRoute(Random r)
    {
        var request = ValidAudio(r);
        switch (r.Next(3))
        {
            case 0:
                request.Task = Pick(r, "", "ASR", "asr/en", "1asr", "a sr", new string('a', 65), "ässr", "asr\0");
                break;
            case 1:
                request.LanguageCode = Pick(r, "", "EN", "english", "e", "en_US", "en-", "123", new string('e', 100));
                break;
            default:
                request.MaskRef = Pick(r, "v0", "0", "sha256:XYZ", "sha256:" + new string('a', 63), "-x", "a b", "prod/uction", new string('p', 65));
                break;
        }

        return Recognize("invalid-route", request, InvalidOnly);
    }

    private static StormCase InvalidConfig(Random r)
    {
        var request = ValidAudio(r);
        switch (r.Next(4))
        {
            case 0:
                request.Config.MaxAlternatives = Pick(r, -1, 11, int.MaxValue, int.MinValue);
                break;
            case 1:
                request.Config.BeamWidth = Pick(r, -1, 65, int.MaxValue);
                break;
            case 2:
                request.Config.MaxClasses = Pick(r, -1, 101, int.MaxValue);
                break;
            default:
                request.Config.AudioChannelCount = Pick(r, -5, 33, 1000);
                break;
        }

        return Recognize("invalid-config", request, InvalidOnly);
    }

    private static StormCase InvalidAdditionalRoutes(Random r)
    {
        var request = ValidAudio(r);
        switch (r.Next(3))
        {
            case 0:
                request.AdditionalRoutes.AddRange(Enumerable.Range(0, 9 + r.Next(20)).Select(i => new RouteSelector { Task = $"t{i}", LanguageCode = "en" }));
                break;
            case 1:
                request.AdditionalRoutes.Add(new RouteSelector { Task = "asr", LanguageCode = "en" });
                break;
            default:
                request.AdditionalRoutes.Add(new RouteSelector { Task = "Speaker", LanguageCode = "UND", MaskRef = "v0" });
                break;
        }

        return Recognize("invalid-additional-routes", request, InvalidOnly);
    }

    private static StormCase UnknownAdditionalRoute(Random r)
    {
        var request = ValidAudio(r);
        request.AdditionalRoutes.Add(new RouteSelector { Task = "speaker", LanguageCode = "und" });
        request.AdditionalRoutes.Add(new RouteSelector { Task = Pick(r, "intent", "emotion"), LanguageCode = "en" });
        return Recognize("unknown-additional-route", request, NotFoundOnly);
    }

    private static StormCase AudioUri(Random r)
    {
        var request = ValidAudio(r);
        request.Audio = new RecognitionAudio { Uri = Pick(r, "", "not a uri", "gs://bucket/a.wav", "http://127.0.0.1:1/a.wav", "file:///etc/passwd", new string('u', 3000)) };
        return Recognize("audio-uri", request, InvalidOnly);
    }

    // Any byte is a G.711 sample, so random bytes are valid (noisy) audio and must be answered normally.
    private static StormCase RandomG711(Random r) =>
        Recognize("random-g711", Request(Bytes(r, r.Next(800, 8000)), Pick(r, AudioEncoding.Mulaw, AudioEncoding.Alaw), 8000), [StatusCode.OK]);

    private static StormCase ListRoutesBadPage(Random r)
    {
        var request = new ListRoutesRequest();
        switch (r.Next(3))
        {
            case 0:
                request.PageSize = Pick(r, -1, 1001, int.MaxValue, int.MinValue);
                break;
            case 1:
                request.PageToken = new string('x', 1025 + r.Next(1000));
                break;
            default:
                request.Task = "Not A Task";
                break;
        }

        return new StormCase("list-routes-bad-page", (client, token) => Status(client.ListRoutesAsync(request, Options(token)).ResponseAsync), InvalidOnly);
    }

    private static StormCase StreamAudioFirst(Random r) =>
        Stream("stream-audio-before-config", [Audio(Bytes(r, 3200)), StreamConfig()], InvalidOnly);

    private static StormCase StreamConfigTwice(Random r) =>
        Stream("stream-config-twice", [StreamConfig(), Audio(Bytes(r, 3200)), StreamConfig()], InvalidOnly);

    private static StormCase StreamWithoutAudio(Random r) =>
        Stream("stream-without-audio", r.Next(2) == 0 ? [] : [StreamConfig()], InvalidOnly);

    private static StormCase StreamOddLinear16(Random r) =>
        Stream("stream-odd-linear16", [StreamConfig(), Audio(Bytes(r, 1601)), Audio(Bytes(r, 1600))], InvalidOnly);

    private static StormCase StreamUnknownRoute(Random r)
    {
        var config = StreamConfig();
        config.StreamingConfig.Task = "intent";
        return Stream("stream-unknown-route", [config, Audio(Bytes(r, 3200))], NotFoundOnly);
    }

    private static StormCase StreamBadInterimInterval(Random r)
    {
        var config = StreamConfig();
        config.StreamingConfig.InterimResults = true;
        config.StreamingConfig.InterimInterval = Pick(r, new Duration { Seconds = -1 }, new Duration { Nanos = 1000 }, new Duration { Seconds = 100_000 });
        return Stream("stream-bad-interim-interval", [config, Audio(Bytes(r, 3200))], InvalidOnly);
    }

    private static StormCase StreamTooMuchAudio(Random r)
    {
        var chunk = Bytes(r, 64 * 1024);
        var chunks = Enumerable.Range(0, (ProcessPlatform.MaxAudioBytes / chunk.Length) + 1).Select(_ => Audio(chunk));
        return Stream("stream-too-much-audio", [StreamConfig(), .. chunks], InvalidOnly);
    }

    private static StormCase Recognize(string kind, RecognizeRequest request, StatusCode[] expected) =>
        new(kind, (client, token) => Status(client.RecognizeAsync(request, Options(token)).ResponseAsync), expected);

    private static StormCase Stream(string kind, StreamingRecognizeRequest[] messages, StatusCode[] expected) =>
        new(kind, (client, token) => StreamStatusAsync(client, messages, token), expected);

    private static async Task<StatusCode> Status(Task call)
    {
        try
        {
            await call;
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    private static async Task<StatusCode> StreamStatusAsync(Speech.SpeechClient client, StreamingRecognizeRequest[] messages, CancellationToken token)
    {
        using var call = client.StreamingRecognize(Options(token));
        try
        {
            foreach (var message in messages)
            {
                await call.RequestStream.WriteAsync(message, token);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // The server ended the call before all messages were sent; its status comes with the response stream.
        }

        return await Status(Drain(call.ResponseStream, token));
    }

    private static async Task Drain(IAsyncStreamReader<StreamingRecognizeResponse> responses, CancellationToken token)
    {
        while (await responses.MoveNext(token))
        {
        }
    }

    private static CallOptions Options(CancellationToken token) => new(deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: token);

    private static RecognizeRequest Request(byte[] content, AudioEncoding encoding = AudioEncoding.Unspecified, int rate = 0) => new()
    {
        Task = "asr",
        LanguageCode = "en",
        Config = new RecognitionConfig { Encoding = encoding, SampleRateHertz = rate },
        Audio = new RecognitionAudio { Content = ByteString.CopyFrom(content) },
    };

    private static RecognizeRequest ValidAudio(Random r) => Request(Signals.Linear16Noise(1600, r.Next()), AudioEncoding.Linear16, 16000);

    private static StreamingRecognizeRequest StreamConfig() => new()
    {
        StreamingConfig = new StreamingRecognitionConfig
        {
            Task = "asr",
            LanguageCode = "en",
            Config = new RecognitionConfig { Encoding = AudioEncoding.Linear16, SampleRateHertz = 16000 },
        },
    };

    private static StreamingRecognizeRequest Audio(byte[] bytes) => new() { AudioContent = ByteString.CopyFrom(bytes) };

    // A 16 kHz mono 16-bit PCM WAV of 0.05 to 0.2 s noise, with any header field replaceable.
    private static byte[] Wav(Random r, uint rate = 16000, ushort channels = 1, ushort bits = 16, ushort tag = 1)
    {
        var data = Signals.Linear16Noise(r.Next(800, 3200), r.Next());
        var wav = new byte[44 + data.Length];
        "RIFF"u8.CopyTo(wav);
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(4), (uint)(36 + data.Length));
        "WAVEfmt "u8.CopyTo(wav.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(16), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(20), tag);
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(22), channels);
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(24), rate);
        var blockAlign = (ushort)(channels * ((bits + 7) / 8));
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(28), unchecked(rate * blockAlign));
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(32), blockAlign);
        BinaryPrimitives.WriteUInt16LittleEndian(wav.AsSpan(34), bits);
        "data"u8.CopyTo(wav.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(40), (uint)data.Length);
        data.CopyTo(wav, 44);
        return wav;
    }

    private static byte[] Bytes(Random r, int count)
    {
        var bytes = new byte[count];
        r.NextBytes(bytes);
        return bytes;
    }

    private static T Pick<T>(Random r, params T[] values) => values[r.Next(values.Length)];
}
