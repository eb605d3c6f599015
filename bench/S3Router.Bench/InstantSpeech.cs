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
    public override Task<RecognizeResponse> Recognize(RecognizeRequest request, ServerCallContext context) =>
        Task.FromResult(new RecognizeResponse
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
        });
}
