using Grpc.Core;
using S3Router.Api.V1;

namespace S3Router.Bench;

/// <summary>
/// A Speech backend that answers Recognize at once with a fixed transcript, whatever the audio: with no model time in
/// the way, gateway vs direct measures only what the gateway hop costs (a second HTTP/2 hop, parsing and
/// re-serialising the request, validation, auth, routing, resilience, metrics).
/// </summary>
internal sealed class InstantSpeech : Speech.SpeechBase
{
    /// <summary>How long each answer waits (a stand-in for model time); zero answers at once. Set before the service starts.</summary>
    public static TimeSpan Delay { get; set; }

    public override async Task<RecognizeResponse> Recognize(RecognizeRequest request, ServerCallContext context)
    {
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.CancellationToken);
        }

        return Answer(request);
    }

    private static RecognizeResponse Answer(RecognizeRequest request) =>
        new RecognizeResponse
        {
            RequestId = "instant",
            Results =
            {
                new RouteResult
                {
                    Route = new ResolvedRoute { Task = request.Task, LanguageCode = request.LanguageCode, Version = 1 },
                    Speech = new SpeechRecognitionResult
                    {
                        Alternatives = { new SpeechRecognitionAlternative { Transcript = "please turn on the lights in the kitchen", Confidence = 0.9f } },
                    },
                },
            },
        };
}
