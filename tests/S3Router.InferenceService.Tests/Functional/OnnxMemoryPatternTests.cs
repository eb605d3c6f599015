using Google.Protobuf.Collections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using S3Router.Api.V1;
using S3Router.InferenceService.Inference.Routes;

namespace S3Router.InferenceService.Tests.Functional;

/// <summary>Route sessions built without ONNX Runtime's memory pattern (Inference:OnnxMemoryPattern=false).</summary>
public sealed class OnnxMemoryPatternTests(ServingPlatform platform) : IClassFixture<ServingPlatform>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    // Distinct lengths (each a new input shape for the route session), the first repeated: a shape seen before.
    private static readonly int[] Lengths = [12000, 20800, 7300, 12000];

    [Fact]
    public async Task Recognize_MemoryPatternOff_SameAnswersAsWithItOn()
    {
        // Arrange
        var on = await StartAsync(pattern: true);
        var off = await StartAsync(pattern: false);

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

    private async Task<InferencePod> StartAsync(bool pattern)
    {
        var pod = await platform.StartInferenceAsync(
            new Dictionary<string, string?> { ["Inference:OnnxMemoryPattern"] = pattern ? "true" : "false" }, Token);
        await pod.Services.GetServices<IHostedService>().OfType<BackboneLoader>().Single().Preloaded.WaitAsync(Token);
        return pod;
    }
}
