using S3Router.Api.V1;

namespace S3Router.InferenceService.Tests.Functional;

/// <summary>
/// Inference:MaxBatchAudioSeconds: with a cap below any two of the requests (each its own batch, frontend and encoders)
/// the answers are those of a pod that batches all of them together.
/// </summary>
public sealed class BatchAudioCapTests(ServingPlatform platform) : IClassFixture<ServingPlatform>
{
    private const double Tolerance = 1e-3;

    // 0.46-1.30 s: any two are over a 0.5 s cap.
    private static readonly int[] Lengths = [12000, 20800, 7300, 16000];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Recognize_CapBelowTwoRequests_SameAnswersAsOneBatch()
    {
        // Arrange: both pods take batches of all 4 requests and wait up to 1 s for them; one caps a batch at 0.5 s of audio.
        var batched = await StartAsync("0");
        var alone = await StartAsync("0.5");

        // Act
        var together = await AnswersAsync(batched);
        var separate = await AnswersAsync(alone);

        // Assert
        Assert.Equal(Lengths.Length, together.Count);
        for (var i = 0; i < Lengths.Length; i++)
        {
            AssertSameResults(together[i], separate[i]);
        }
    }

    private static void AssertSameResults(RecognizeResponse expected, RecognizeResponse actual)
    {
        Assert.Equal(2, expected.Results.Count);
        Assert.Equal(expected.Results.Count, actual.Results.Count);
        for (var r = 0; r < expected.Results.Count; r++)
        {
            var (want, got) = (expected.Results[r], actual.Results[r]);
            Assert.Equal(want.Route, got.Route);
            Assert.Equal(want.ResultCase, got.ResultCase);
            if (want.ResultCase == RouteResult.ResultOneofCase.Speech)
            {
                Assert.Equal(want.Speech.Alternatives.Select(a => a.Transcript), got.Speech.Alternatives.Select(a => a.Transcript));
                Assert.Equal(want.Speech.Alternatives.Select(a => (double)a.Confidence), got.Speech.Alternatives.Select(a => (double)a.Confidence), Close);
            }
            else
            {
                Assert.Equal(want.Classification.Classes.Select(c => c.ClassName), got.Classification.Classes.Select(c => c.ClassName));
                Assert.Equal(want.Classification.Classes.Select(c => (double)c.Score), got.Classification.Classes.Select(c => (double)c.Score), Close);
            }
        }
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) <= Tolerance;

    // All lengths at once, each with two routes (asr/en, and speaker/und through the same frontend batch).
    private static async Task<List<RecognizeResponse>> AnswersAsync(InferencePod pod) =>
        [.. await Task.WhenAll(Lengths.Select((samples, i) =>
        {
            var request = new RecognizeRequest
            {
                Task = "asr",
                LanguageCode = "en",
                Config = ServingPlatform.Linear16Config(),
                Audio = new RecognitionAudio { Content = ServingPlatform.Linear16(samples, seed: 20 + i) },
            };
            request.AdditionalRoutes.Add(new RouteSelector { Task = "speaker", LanguageCode = "und" });
            return pod.Speech.RecognizeAsync(request, cancellationToken: Token).ResponseAsync;
        }))];

    private async Task<InferencePod> StartAsync(string cap)
    {
        var pod = await platform.StartPreloadedInferenceAsync(new Dictionary<string, string?>
        {
            ["Inference:MaxBatchAudioSeconds"] = cap,
            ["Inference:MaxBatchSize"] = Lengths.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Inference:MaxBatchWait"] = "00:00:01",
            ["Inference:Preload:0"] = "asr/en",
            ["Inference:Preload:1"] = "speaker/und",
        }, Token);
        return pod;
    }
}
