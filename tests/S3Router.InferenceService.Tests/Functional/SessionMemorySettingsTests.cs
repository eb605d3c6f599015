using Google.Protobuf.Collections;
using S3Router.Api.V1;

namespace S3Router.InferenceService.Tests.Functional;

/// <summary>
/// Sessions with other memory settings than the defaults: without ONNX Runtime's memory pattern for route sessions
/// (Inference:OnnxMemoryPattern=false), with every arena shrunk after every run (Inference:ArenaShrinkAboveSeconds=0).
/// </summary>
public sealed class SessionMemorySettingsTests(ServingPlatform platform) : IClassFixture<ServingPlatform>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    // Distinct lengths (each a new input shape for the route session), the first repeated: a shape seen before.
    private static readonly int[] Lengths = [12000, 20800, 7300, 12000];

    [Theory]
    [InlineData("Inference:OnnxMemoryPattern", "false")]
    [InlineData("Inference:ArenaShrinkAboveSeconds", "0")]
    public async Task Recognize_MemorySettingChanged_SameAnswersAsWithTheDefaults(string key, string value)
    {
        // Arrange
        var on = await StartAsync([]);
        var off = await StartAsync(new Dictionary<string, string?> { [key] = value });

        // Act
        var withPattern = await AnswersAsync(on, "asr", "en");
        var withoutPattern = await AnswersAsync(off, "asr", "en");
        var otherWith = await AnswersAsync(on, "asr", "fr");
        var otherWithout = await AnswersAsync(off, "asr", "fr");

        // Assert: the same results for every length and route; a repeated length (a shape seen before) answers the same.
        Assert.Equal(withPattern, withoutPattern);
        Assert.Equal(otherWith, otherWithout);
        Assert.All(withPattern.Concat(otherWith), results => Assert.NotEmpty(results));
        Assert.Equal(withPattern[0], withPattern[3]);
    }

    private static async Task<List<RepeatedField<RouteResult>>> AnswersAsync(InferencePod pod, string task, string language)
    {
        var answers = new List<RepeatedField<RouteResult>>();
        foreach (var samples in Lengths)
        {
            var response = await pod.Speech.RecognizeAsync(new RecognizeRequest
            {
                Task = task,
                LanguageCode = language,
                Config = ServingPlatform.Linear16Config(),
                Audio = new RecognitionAudio { Content = ServingPlatform.Linear16(samples, seed: 5) },
            }, cancellationToken: Token);
            answers.Add(response.Results);
        }

        return answers;
    }

    private async Task<InferencePod> StartAsync(Dictionary<string, string?> settings)
    {
        var pod = await platform.StartPreloadedInferenceAsync(settings, Token);
        return pod;
    }
}
