using Google.Protobuf;
using S3Router.Api.V1;
using S3Router.Gateway.Proxy;

namespace S3Router.Gateway.Tests.Proxy;

public sealed class ForwardedRecognizeRequestTests
{
    private static RecognizeRequest Full() => new()
    {
        Task = "asr",
        LanguageCode = "de-DE",
        MaskRef = "v3",
        Config = new RecognitionConfig { Encoding = AudioEncoding.Linear16, SampleRateHertz = 16000, MaxAlternatives = 3, BeamWidth = 8, MaxClasses = 5 },
        Audio = new RecognitionAudio { Content = ByteString.CopyFrom(Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray()) },
        AdditionalRoutes =
        {
            new RouteSelector { Task = "speaker", LanguageCode = "und" },
            new RouteSelector { Task = "intent", LanguageCode = "en", MaskRef = "canary" },
        },
    };

    /// <summary>Asserts that the fields read from the bytes are those protobuf parses from them.</summary>
    private static void AssertReadsLikeProtobuf(byte[] bytes, ForwardedRecognizeRequest read)
    {
        var parsed = RecognizeRequest.Parser.ParseFrom(bytes);
        Assert.Null(read.Malformed);
        Assert.Equal(parsed.Task, read.Task);
        Assert.Equal(parsed.LanguageCode, read.LanguageCode);
        Assert.Equal(parsed.MaskRef, read.MaskRef);
        Assert.Equal(parsed.Config, read.Config);
        Assert.Equal(parsed.Audio?.AudioSourceCase ?? RecognitionAudio.AudioSourceOneofCase.None, read.AudioSource);
        Assert.Equal(parsed.Audio?.Content.Length ?? 0, read.ContentLength);
        Assert.Equal(parsed.Audio?.Uri ?? "", read.Uri);
        Assert.Equal(parsed.AdditionalRoutes, read.AdditionalRoutes);
    }

    [Fact]
    public void Read_FullRequest_ReadsEveryCheckedFieldAndKeepsTheBytes()
    {
        // Arrange
        var bytes = Full().ToByteArray();

        // Act
        var read = ForwardedRecognizeRequest.Read(bytes);

        // Assert
        AssertReadsLikeProtobuf(bytes, read);
        Assert.Equal(3000, read.ContentLength);
        Assert.Equal(RecognitionAudio.AudioSourceOneofCase.Content, read.AudioSource);
        Assert.Equal(2, read.AdditionalRoutes.Count);
        Assert.Same(bytes, read.Bytes);
    }

    [Fact]
    public void Read_UriAudioAndNoConfig_ReadsTheUri()
    {
        var bytes = new RecognizeRequest { Task = "asr", LanguageCode = "en", Audio = new RecognitionAudio { Uri = "s3://bucket/a.wav" } }.ToByteArray();

        var read = ForwardedRecognizeRequest.Read(bytes);

        AssertReadsLikeProtobuf(bytes, read);
        Assert.Equal("s3://bucket/a.wav", read.Uri);
        Assert.Null(read.Config);
    }

    [Fact]
    public void Read_EmptyMessageAndEmptyAudio_HaveNoAudioSource()
    {
        var empty = ForwardedRecognizeRequest.Read([]);
        var emptyAudio = ForwardedRecognizeRequest.Read(new RecognizeRequest { Audio = new RecognitionAudio() }.ToByteArray());

        Assert.Null(empty.Malformed);
        Assert.Equal(RecognitionAudio.AudioSourceOneofCase.None, empty.AudioSource);
        Assert.Equal(RecognitionAudio.AudioSourceOneofCase.None, emptyAudio.AudioSource);
        Assert.Equal("", empty.Task);
    }

    [Fact]
    public void Read_FieldsRepeated_FollowsProtobufMergeRules()
    {
        // Arrange: two messages back to back are one message to protobuf: last string and oneof win, config merges,
        // repeated fields append.
        var second = new RecognizeRequest
        {
            Task = "intent",
            Config = new RecognitionConfig { MaxClasses = 7 },
            Audio = new RecognitionAudio { Uri = "https://example.com/a.wav" },
            AdditionalRoutes = { new RouteSelector { Task = "asr", LanguageCode = "fr" } },
        };
        var bytes = Full().ToByteArray().Concat(second.ToByteArray()).ToArray();

        // Act
        var read = ForwardedRecognizeRequest.Read(bytes);

        // Assert
        AssertReadsLikeProtobuf(bytes, read);
        Assert.Equal("intent", read.Task);
        Assert.Equal(3, read.Config!.MaxAlternatives);
        Assert.Equal(7, read.Config.MaxClasses);
        Assert.Equal(RecognitionAudio.AudioSourceOneofCase.Uri, read.AudioSource);
        Assert.Equal(3, read.AdditionalRoutes.Count);
    }

    [Fact]
    public void Read_UnknownFieldsOfEveryWireType_SkipsThem()
    {
        // Arrange: unknown fields before, between and inside the known ones; field 1 with the wrong wire type is unknown too.
        var unknown = new byte[]
        {
            0x08, 0x96, 0x01,                               // field 1 as a varint (known number, unexpected type)
            0xB8, 0x06, 0x2A,                               // field 103, varint
            0xC1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8,             // field 104, fixed64
            0xCA, 0x06, 0x03, 0x61, 0x62, 0x63,             // field 105, length-delimited
            0xD3, 0x06, 0x08, 0x01, 0xD4, 0x06,             // field 106, group holding a varint; its end
            0xE5, 0x06, 1, 2, 3, 4,                         // field 108, fixed32
        };
        var audioWithUnknown = new RecognitionAudio { Content = ByteString.CopyFrom([1, 2, 3]) }.ToByteArray().Concat(unknown).ToArray();
        var bytes = unknown
            .Concat(Full().ToByteArray())
            .Concat(unknown)
            .Concat(new byte[] { 0x22, (byte)audioWithUnknown.Length }).Concat(audioWithUnknown)
            .ToArray();

        // Act
        var read = ForwardedRecognizeRequest.Read(bytes);

        // Assert
        AssertReadsLikeProtobuf(bytes, read);
        Assert.Equal(3, read.ContentLength);
    }

    [Theory]
    [InlineData(new byte[] { 0x0A, 0x03, 0x61, 0xFF, 0x72 })]
    [InlineData(new byte[] { 0x22, 0x04, 0x12, 0x02, 0xC3, 0x28 })]
    public void Read_InvalidUtf8InTaskOrUri_MalformedLikeProtobufSays(byte[] bytes)
    {
        var read = ForwardedRecognizeRequest.Read(bytes);

        Assert.Throws<InvalidProtocolBufferException>(() => RecognizeRequest.Parser.ParseFrom(bytes));
        Assert.Equal("a string field is not valid UTF-8", read.Malformed);
    }

    public static TheoryData<string, byte[]> MalformedMessages => new()
    {
        { "truncated tag varint", [0x80] },
        { "field number 0", [0x00, 0x01] },
        { "length past the end", [0x0A, 0x05, 0x61] },
        { "length varint cut off", [0x0A, 0xFF] },
        { "varint longer than 10 bytes", [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },
        { "wire type 6", [0x0E, 0x00] },
        { "wire type 7", [0x0F, 0x00] },
        { "end group without a start", [0x0C] },
        { "group never ends", [0x0B, 0x08, 0x01] },
        { "group ended by another group's end", [0x0B, 0x14] },
        { "fixed64 cut off", [0x09, 1, 2, 3] },
        { "fixed32 cut off", [0x0D, 1] },
        { "malformed config", [0x1A, 0x02, 0x08, 0x80] },
        { "malformed additional route", [0x32, 0x01, 0x0A] },
        { "malformed audio", [0x22, 0x02, 0x0A, 0x05] },
    };

    [Theory]
    [MemberData(nameof(MalformedMessages))]
    public void Read_MalformedBytes_ReportsThemWithoutThrowing(string name, byte[] bytes)
    {
        // Act
        var read = ForwardedRecognizeRequest.Read(bytes);

        // Assert: what protobuf refuses is refused, with a reason.
        Assert.Throws<InvalidProtocolBufferException>(() => RecognizeRequest.Parser.ParseFrom(bytes));
        Assert.False(string.IsNullOrEmpty(read.Malformed), name);
    }

    [Fact]
    public void Read_EveryTruncationAndByteFlip_AgreesWithProtobufAndNeverThrows()
    {
        // Arrange: a small request (short audio) so every prefix and every flipped byte can be tried.
        var request = Full();
        request.Audio.Content = ByteString.CopyFrom([1, 2, 3, 4]);
        var bytes = request.ToByteArray();
        var random = new Random(7);
        var cases = Enumerable.Range(0, bytes.Length).Select(n => bytes[..n]).ToList();
        for (var i = 0; i < 2000; i++)
        {
            var flipped = (byte[])bytes.Clone();
            flipped[random.Next(flipped.Length)] = (byte)random.Next(256);
            cases.Add(flipped);
        }

        foreach (var candidate in cases)
        {
            // Act
            var read = ForwardedRecognizeRequest.Read(candidate);

            // Assert
            bool parses;
            try
            {
                RecognizeRequest.Parser.ParseFrom(candidate);
                parses = true;
            }
            catch (InvalidProtocolBufferException)
            {
                parses = false;
            }
            Assert.True(parses == (read.Malformed is null), $"{Convert.ToHexString(candidate)}: protobuf {(parses ? "parses" : "refuses")} it, the reader says {read.Malformed ?? "fine"}");
            if (parses)
            {
                AssertReadsLikeProtobuf(candidate, read);
            }
        }
    }
}
