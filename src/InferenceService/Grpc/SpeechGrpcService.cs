using System.Runtime.CompilerServices;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.InferenceService.Inference;
using S3Router.InferenceService.Inference.Heads;

namespace S3Router.InferenceService.Grpc;

/// <summary>The Speech API of one inference pod: validate, call the domain service, map the result.</summary>
internal sealed class SpeechGrpcService(
    RecognitionService recognition, StreamingRecognizer streaming, RouteCatalog catalog) : Speech.SpeechBase
{
    public override async Task<RecognizeResponse> Recognize(RecognizeRequest request, ServerCallContext context)
    {
        SpeechRequests.Validate(request);
        var outcome = await recognition.RecognizeAsync(request, context.CancellationToken);
        var response = new RecognizeResponse
        {
            TotalAudioDuration = Duration.FromTimeSpan(outcome.AudioDuration),
            RequestId = context.GetHttpContext().TraceIdentifier,
        };
        response.Results.AddRange(outcome.Routes.Select(r => MapRoute(r, outcome.AudioDuration, request.Config?.EnableWordTimeOffsets ?? false)));
        return response;
    }

    public override async Task StreamingRecognize(
        IAsyncStreamReader<StreamingRecognizeRequest> requestStream, IServerStreamWriter<StreamingRecognizeResponse> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken)
            || requestStream.Current.StreamingRequestCase != StreamingRecognizeRequest.StreamingRequestOneofCase.StreamingConfig)
        {
            throw new InvalidInputException("The first message of the stream must carry streaming_config; audio_content follows.", "streaming_config");
        }

        var config = requestStream.Current.StreamingConfig;
        SpeechRequests.Validate(config);
        var wordTimes = config.Config?.EnableWordTimeOffsets ?? false;
        await foreach (var outcome in streaming.RecognizeAsync(config, AudioChunks(requestStream, cancellationToken), cancellationToken))
        {
            var response = new StreamingRecognizeResponse
            {
                IsFinal = outcome.IsFinal,
                ResultEndTime = Duration.FromTimeSpan(outcome.AudioDuration),
            };
            response.Results.AddRange(outcome.Routes.Select(r => MapRoute(r, outcome.AudioDuration, wordTimes)));
            await responseStream.WriteAsync(response, cancellationToken);
        }
    }

    public override async Task<ListRoutesResponse> ListRoutes(ListRoutesRequest request, ServerCallContext context)
    {
        SpeechRequests.Validate(request);
        var (routes, next) = await catalog.ListAsync(request, context.CancellationToken);
        var response = new ListRoutesResponse { NextPageToken = next };
        response.Routes.AddRange(routes.Select(MapRouteInfo));
        return response;
    }

    private static async IAsyncEnumerable<ByteString> AudioChunks(
        IAsyncStreamReader<StreamingRecognizeRequest> requestStream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await requestStream.MoveNext(cancellationToken))
        {
            if (requestStream.Current.StreamingRequestCase != StreamingRecognizeRequest.StreamingRequestOneofCase.AudioContent)
            {
                throw new InvalidInputException("Only the first message may carry streaming_config; the following ones carry audio_content.", "streaming_config");
            }

            yield return requestStream.Current.AudioContent;
        }
    }

    private static ResolvedRoute MapResolved(MaskVersion version) => new()
    {
        Task = version.Task,
        LanguageCode = version.LanguageCode,
        Version = version.Version,
        Digest = version.Digest,
    };

    private static RouteResult MapRoute(RouteOutcome outcome, TimeSpan audioEnd, bool wordTimes)
    {
        var result = new RouteResult { Route = MapResolved(outcome.Version) };
        if (outcome.Alternatives is { } alternatives)
        {
            var speech = new SpeechRecognitionResult
            {
                ResultEndTime = Duration.FromTimeSpan(audioEnd),
                LanguageCode = outcome.Version.LanguageCode,
            };
            speech.Alternatives.AddRange(alternatives.Select(a => MapAlternative(a, wordTimes)));
            result.Speech = speech;
        }
        else
        {
            var classification = new ClassificationResult();
            classification.Classes.AddRange(outcome.Classes!.Select(MapClass));
            result.Classification = classification;
        }

        return result;
    }

    private static SpeechRecognitionAlternative MapAlternative(RecognitionAlternative alternative, bool wordTimes)
    {
        var mapped = new SpeechRecognitionAlternative { Transcript = alternative.Transcript, Confidence = alternative.Confidence };
        if (wordTimes)
        {
            mapped.Words.AddRange(alternative.Words.Select(w => new WordInfo
            {
                Word = w.Word,
                StartTime = Duration.FromTimeSpan(w.Start),
                EndTime = Duration.FromTimeSpan(w.End),
                Confidence = alternative.Confidence,
            }));
        }

        return mapped;
    }

    private static Api.V1.ClassScore MapClass(ClassProbability score) => new() { ClassName = score.ClassName, Score = score.Score };

    private static RouteInfo MapRouteInfo(RouteListing listing)
    {
        var info = new RouteInfo
        {
            Route = MapResolved(listing.Production),
            HeadKind = listing.Production.HeadKind,
            LabelCount = listing.Production.LabelCount,
        };
        foreach (var (alias, version) in listing.Aliases)
        {
            info.Aliases[alias] = version;
        }

        info.Metrics.Add(listing.Production.Metrics);
        return info;
    }
}
