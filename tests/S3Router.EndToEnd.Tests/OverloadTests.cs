using Google.Protobuf;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Testing;

namespace S3Router.EndToEnd.Tests;

/// <summary>Bursts against an inference process whose queue holds 2 requests: refused calls are RESOURCE_EXHAUSTED, never a crash.</summary>
/// <remarks>In the shared collection only so it never runs beside the storm: two loaded platforms starve 2 cores.</remarks>
[Collection(PlatformCollection.Name)]
public sealed class OverloadTests(OverloadPlatform platform) : IClassFixture<OverloadPlatform>
{
    private const int BurstSize = 128;

    [Fact]
    public async Task Recognize_BurstAboveQueueCapacity_SomeResourceExhaustedNoneInternalThenServesAgain()
    {
        // Arrange: 2 s of audio per call, so the single-request batches queue up.
        var token = TestContext.Current.CancellationToken;
        var request = Request(Signals.Linear16Noise(32_000, seed: 9));
        var codes = new List<StatusCode>();

        // Act: bursts until the queue overflowed once (the first burst nearly always does; at most 5).
        for (var burst = 0; burst < 5 && !codes.Contains(StatusCode.ResourceExhausted); burst++)
        {
            codes.AddRange(await Task.WhenAll(Enumerable.Range(0, BurstSize).Select(_ => CallAsync(request, token))));
        }

        var after = await platform.Speech.RecognizeAsync(Request(Signals.Linear16Noise(8000, seed: 10)), cancellationToken: token);

        // Assert
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join(", ", codes.GroupBy(c => c).Select(g => $"{g.Key}: {g.Count()}")));
        Assert.Contains(StatusCode.ResourceExhausted, codes);
        Assert.Contains(StatusCode.OK, codes);
        Assert.All(codes, c => Assert.True(c is StatusCode.OK or StatusCode.ResourceExhausted, $"unexpected {c}"));
        Assert.Equal(platform.Published["asr/en"].Digest, Assert.Single(after.Results).Route.Digest);
        await platform.AssertAllHealthyAsync(token);
    }

    private async Task<StatusCode> CallAsync(RecognizeRequest request, CancellationToken token)
    {
        try
        {
            await platform.Speech.RecognizeAsync(request, deadline: DateTime.UtcNow.AddMinutes(1), cancellationToken: token);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    private static RecognizeRequest Request(byte[] linear16) => new()
    {
        Task = "asr",
        LanguageCode = "en",
        Config = new RecognitionConfig { Encoding = AudioEncoding.Linear16, SampleRateHertz = 16000 },
        Audio = new RecognitionAudio { Content = ByteString.CopyFrom(linear16) },
    };
}
