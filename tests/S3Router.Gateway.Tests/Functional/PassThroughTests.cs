using Google.Protobuf;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;
using S3Router.Api.V1;
using S3Router.Gateway.Tests.TestSupport;

namespace S3Router.Gateway.Tests.Functional;

/// <summary>Recognize requests forwarded as their bytes: what reaches the pod, what is refused, what reflection shows.</summary>
public sealed class PassThroughTests
{
    // Recognize over raw bytes, so a test can send a message no generated client would write.
    private static readonly Method<byte[], RecognizeResponse> RawRecognize = new(
        MethodType.Unary, "s3router.v1.Speech", "Recognize",
        Marshallers.Create(bytes => bytes, bytes => bytes),
        Marshallers.Create<RecognizeResponse>(response => response.ToByteArray(), RecognizeResponse.Parser.ParseFrom));

    /// <summary>
    /// A valid request no serializer would write: fields out of order, task twice, unknown fields (a varint and a string)
    /// at the top and inside the audio. Parsed and serialized again it would come out different.
    /// </summary>
    private static byte[] UnusualRequest()
    {
        var audio = new RecognitionAudio { Content = ByteString.CopyFrom(new byte[300]) }.ToByteArray()
            .Concat(new byte[] { 0xB8, 0x06, 0x2A }).ToArray();
        return new byte[] { 0x22 }.Concat(Varint(audio.Length)).Concat(audio)
            .Concat(new RecognizeRequest { Task = "intent", LanguageCode = "en" }.ToByteArray())
            .Concat(new byte[] { 0xCA, 0x06, 0x03, 0x61, 0x62, 0x63 })
            .Concat(new RecognizeRequest { Task = "asr", Config = new RecognitionConfig { MaxAlternatives = 2 } }.ToByteArray())
            .ToArray();
    }

    private static byte[] Varint(int value)
    {
        var bytes = new List<byte>();
        for (; value >= 0x80; value >>= 7)
        {
            bytes.Add((byte)(value | 0x80));
        }
        bytes.Add((byte)value);
        return [.. bytes];
    }

    private static Task<RecognizeResponse> SendAsync(GatewayHost gateway, byte[] request) =>
        gateway.Channel.CreateCallInvoker()
            .AsyncUnaryCall(RawRecognize, null, new CallOptions(cancellationToken: TestContext.Current.CancellationToken), request).ResponseAsync;

    [Fact]
    public async Task Recognize_UnusualButValidRequest_ReachesThePodByteForByte()
    {
        // Arrange
        await using var backend = await FakeBackend.StartAsync("a");
        await using var gateway = await GatewayHost.StartAsync([backend]);
        var request = UnusualRequest();

        // Act
        var response = await SendAsync(gateway, request);

        // Assert
        Assert.Equal("asr", response.Results[0].Route.Task);
        Assert.True(backend.RecognizeMessages.TryDequeue(out var received));
        Assert.Equal(request, received);
    }

    [Fact]
    public async Task Recognize_PassThroughOff_PodGetsTheRequestSerializedAgain()
    {
        // Arrange
        await using var backend = await FakeBackend.StartAsync("a");
        await using var gateway = await GatewayHost.StartAsync([backend], new Dictionary<string, string?> { ["Gateway:RecognizePassThrough"] = "false" });
        var request = UnusualRequest();

        // Act
        await SendAsync(gateway, request);

        // Assert
        Assert.True(backend.RecognizeMessages.TryDequeue(out var received));
        Assert.Equal(RecognizeRequest.Parser.ParseFrom(request).ToByteArray(), received);
        Assert.NotEqual(request, received);
    }

    [Fact]
    public async Task Recognize_OwnerUnavailable_RetrySendsTheSameBytesToTheNextPod()
    {
        // Arrange
        await using var a = await FakeBackend.StartAsync("a");
        await using var b = await FakeBackend.StartAsync("b");
        await using var gateway = await GatewayHost.StartAsync([a, b]);
        var order = gateway.OrderOf("asr/en");
        var (owner, next) = order[0] == a.Address ? (a, b) : (b, a);
        owner.Behavior = BackendBehavior.Unavailable;
        var request = UnusualRequest();

        // Act
        var response = await SendAsync(gateway, request);

        // Assert
        Assert.Equal(next.Name, response.Results[0].Route.Digest);
        Assert.Equal([request], owner.RecognizeMessages);
        Assert.Equal([request], next.RecognizeMessages);
    }

    [Fact]
    public async Task Recognize_MalformedBytes_InvalidArgumentAndThePodIsNotCalled()
    {
        // Arrange: task says 5 bytes follow, 1 does.
        await using var backend = await FakeBackend.StartAsync("a");
        await using var gateway = await GatewayHost.StartAsync([backend]);

        // Act
        var ex = await Assert.ThrowsAsync<RpcException>(() => SendAsync(gateway, [0x0A, 0x05, 0x61]));

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("not a valid s3router.v1.RecognizeRequest", ex.Status.Detail);
        Assert.Equal(0, backend.Calls);
    }

    [Fact]
    public async Task Recognize_AudioTooLarge_RefusedWithTheValidatorsMessage()
    {
        // Arrange
        await using var backend = await FakeBackend.StartAsync("a");
        await using var gateway = await GatewayHost.StartAsync([backend], new Dictionary<string, string?> { ["Gateway:MaxAudioBytes"] = "1024" });
        var request = Requests.Recognize();
        request.Audio.Content = ByteString.CopyFrom(new byte[2000]);

        // Act
        var ex = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.RecognizeAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("audio.content: is 2000 bytes, more than the limit of 1024 bytes", ex.Status.Detail);
        Assert.Equal(0, backend.Calls);
    }

    [Fact]
    public async Task Reflection_ListsTheSpeechServiceAndItsFile()
    {
        // Arrange
        await using var backend = await FakeBackend.StartAsync("a");
        await using var gateway = await GatewayHost.StartAsync([backend]);
        var reflection = new ServerReflection.ServerReflectionClient(gateway.Channel);
        using var call = reflection.ServerReflectionInfo(cancellationToken: TestContext.Current.CancellationToken);

        // Act
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }, TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "s3router.v1.Speech.Recognize" }, TestContext.Current.CancellationToken);
        await call.RequestStream.CompleteAsync();
        var answers = new List<ServerReflectionResponse>();
        await foreach (var answer in call.ResponseStream.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            answers.Add(answer);
        }

        // Assert
        Assert.Contains("s3router.v1.Speech", answers[0].ListServicesResponse.Service.Select(s => s.Name));
        var files = answers[1].FileDescriptorResponse.FileDescriptorProto.Select(f => Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(f).Name);
        Assert.Contains("s3router/v1/speech.proto", files);
    }
}
