using Grpc.Core;
using S3Router.Api.V1;
using S3Router.Core.Errors;
using S3Router.Gateway.Proxy;
using S3Router.Gateway.Validation;

namespace S3Router.Gateway.Grpc;

/// <summary>
/// The public Speech API: validate, forward through <see cref="SpeechProxy"/>. Auth and metrics run in interceptors.
/// Bound by <see cref="SpeechMethodProvider"/>.
/// </summary>
internal sealed class SpeechGrpcService(SpeechRequestValidator validator, SpeechProxy proxy) : SpeechService.Base
{
    /// <summary>Recognize as the gateway serves it: the request's bytes go to the pod unchanged.</summary>
    public Task<RecognizeResponse> Recognize(ForwardedRecognizeRequest request, ServerCallContext context)
    {
        validator.Validate(request);
        return proxy.RecognizeAsync(request, context.Deadline, context.CancellationToken);
    }

    /// <summary>Recognize over a parsed request (<see cref="GatewayOptions.RecognizePassThrough"/> false).</summary>
    public Task<RecognizeResponse> Recognize(RecognizeRequest request, ServerCallContext context)
    {
        validator.Validate(request);
        return proxy.RecognizeAsync(request, context.Deadline, context.CancellationToken);
    }

    public async Task StreamingRecognize(
        IAsyncStreamReader<StreamingRecognizeRequest> requestStream, IServerStreamWriter<StreamingRecognizeResponse> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            throw new InvalidInputException("The stream ended before its first message; send streaming_config first.", "streaming_config");
        }
        validator.ValidateFirst(requestStream.Current);
        await proxy.StreamAsync(requestStream.Current, requestStream, responseStream, context.Deadline, context.CancellationToken);
    }

    public Task<ListRoutesResponse> ListRoutes(ListRoutesRequest request, ServerCallContext context)
    {
        SpeechRequestValidator.Validate(request);
        return proxy.ListRoutesAsync(request, context.Deadline, context.CancellationToken);
    }
}
