using System.Collections.Concurrent;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Testing;

namespace S3Router.EndToEnd.Tests;

/// <summary>Thousands of seeded malformed calls through the gateway process; every one gets a precise error, nothing dies.</summary>
[Collection(PlatformCollection.Name)]
public sealed class BadInputStormTests(ProcessPlatform platform)
{
    /// <summary>Calls in the storm; S3R_STORM_REQUESTS overrides the default of 10,000.</summary>
    private static int RequestCount =>
        int.TryParse(Environment.GetEnvironmentVariable("S3R_STORM_REQUESTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : 10_000;

    [Fact]
    public async Task Recognize_TenThousandMalformedCalls_EachAnsweredWithItsExpectedCodeAndAllServicesStayHealthy()
    {
        // Arrange
        var token = TestContext.Current.CancellationToken;
        var cases = StormCases.Generate(RequestCount, seed: 20_240_607);
        var outcomes = new ConcurrentDictionary<(string Kind, StatusCode Code), int>();
        var unexpected = new ConcurrentQueue<string>();

        // Act: one channel, 16 calls in flight.
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = token }, async (stormCase, ct) =>
        {
            var code = await stormCase.Call(platform.Speech, ct);
            outcomes.AddOrUpdate((stormCase.Kind, code), 1, (_, n) => n + 1);
            if (!stormCase.Expected.Contains(code))
            {
                unexpected.Enqueue($"{stormCase.Kind}: {code}, expected {string.Join(" or ", stormCase.Expected)}");
            }
        });

        // Assert
        Report(outcomes);
        Assert.Equal(cases.Count, outcomes.Values.Sum());
        Assert.True(unexpected.IsEmpty, string.Join("\n", unexpected.GroupBy(u => u).Select(g => $"{g.Count()} x {g.Key}")));
        Assert.DoesNotContain(outcomes.Keys, k => k.Code is StatusCode.Internal or StatusCode.Unavailable or StatusCode.Unknown);
        await platform.AssertAllHealthyAsync(token);
        var normal = await platform.Speech.RecognizeAsync(new RecognizeRequest
        {
            Task = "asr",
            LanguageCode = "en",
            Config = new RecognitionConfig { Encoding = AudioEncoding.Linear16, SampleRateHertz = 16000 },
            Audio = new RecognitionAudio { Content = ByteString.CopyFrom(Signals.Linear16Noise(8000, seed: 3)) },
        }, cancellationToken: token);
        Assert.Equal(platform.Published["asr/en"].Digest, Assert.Single(normal.Results).Route.Digest);
    }

    private static void Report(ConcurrentDictionary<(string Kind, StatusCode Code), int> outcomes)
    {
        var output = TestContext.Current.TestOutputHelper!;
        output.WriteLine("Outcomes by status code:");
        foreach (var group in outcomes.GroupBy(o => o.Key.Code).OrderByDescending(g => g.Sum(o => o.Value)))
        {
            output.WriteLine($"  {group.Key,-20} {group.Sum(o => o.Value),6}");
        }

        output.WriteLine("Outcomes by kind:");
        foreach (var ((kind, code), count) in outcomes.OrderBy(o => o.Key.Kind, StringComparer.Ordinal).ThenBy(o => o.Key.Code))
        {
            output.WriteLine($"  {kind,-28} {code,-20} {count,6}");
        }
    }
}
